"""Synthetic people for demo data, tests and benchmarks: invented names, valid-checksum ID numbers.

No record describes a real person: names are drawn at random from common characters and ID numbers are
generated from a region code, a random birth date and a serial, with the check character computed.
"""

import datetime
import random

from .ids import make_resident_id

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
FEMALE_GIVEN = "秀英丽敏静艳娟霞芳燕玲婷雪慧红梅琳颖洁晶莉萍兰凤琴云华珍娜倩月春菊彩桂瑶蓉薇岚霖露佳欣怡悦雅思涵璐妍"
MALE_GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞波斌宇浩凯健俊峰建国志文"


def name(rng: random.Random, sex: str = "F") -> str:
    pool = FEMALE_GIVEN if sex == "F" else MALE_GIVEN
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def birth_date(
    rng: random.Random, min_age: int = 18, max_age: int = 70, today: datetime.date | None = None
) -> datetime.date:
    today = today or datetime.date.today()
    days = rng.randint(min_age * 365 + 1, max_age * 365)
    return today - datetime.timedelta(days=days)


def id_number(rng: random.Random, region: str, born: datetime.date, sex: str = "F") -> str:
    serial = rng.randrange(0, 999)
    # The 17th digit (last of the serial) is odd for men, even for women.
    if (serial % 10) % 2 != (1 if sex == "M" else 0):
        serial = serial + 1 if serial % 10 < 9 else serial - 1
    return make_resident_id(region, born, serial)


def mobile(rng: random.Random) -> str:
    return (
        rng.choice(["139", "138", "137", "136", "135", "158", "159", "186", "187", "188", "177", "199"])
        + f"{rng.randrange(10**8):08d}"
    )
