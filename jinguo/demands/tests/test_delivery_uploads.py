"""Close-out photos: only real JPEG, PNG or WebP images (told by their content), within size and count limits; a
refusal writes nothing, neither rows nor files."""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jinguo.core.errors import DomainError

from .. import services_delivery as delivery
from ..choices import NeedStatus
from ..models import CloseOut, CloseOutPhoto
from .test_delivery_services import _visit, served  # noqa: F401  (fixture)


def image_bytes(fmt: str = "JPEG", size=(64, 48), *, noisy: bool = False) -> bytes:
    buffer = io.BytesIO()
    if noisy:  # does not compress: a big file from a small picture
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 80, 120))
    image.save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "demands" / "closeout"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def ready(served, world):  # noqa: F811
    need, _assignment, member = served
    _visit(need, member)
    return need


def test_real_images_are_stored_under_media_root_with_our_own_names(ready, world):
    before = set(stored_files())
    closeout = delivery.closeout_submit(
        actor=world.leader, need=ready, summary="服务完成",
        photos=[
            upload("现场1.jpg", image_bytes("JPEG")),
            upload("现场2.png", image_bytes("PNG"), "image/png"),
            # The name says .jpg, the content is WebP: the stored name follows the content.
            upload("现场3.jpg", image_bytes("WEBP")),
        ],
    )
    photos = list(closeout.photos.all())
    assert [Path(p.image.name).suffix for p in photos] == [".jpg", ".png", ".webp"]
    new = set(stored_files()) - before
    assert len(new) == 3
    assert all(str(path).startswith(str(Path(settings.MEDIA_ROOT))) for path in new)
    assert not any("现场" in p.image.name for p in photos)
    # Stored as uploaded: nothing re-encoded.
    assert photos[1].image.read() == image_bytes("PNG")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("照片.jpg", b"<?php system($_GET['c']); ?>"),
        ("照片.jpg", b"<html><script>alert(1)</script></html>"),
        ("照片.png", b"%PDF-1.4\n1 0 obj<<>>endobj\n"),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200),  # a JPEG header and nothing behind it
        ("照片.gif", None),  # a real image, but not a format we take
        ("照片.jpg", b""),
    ],
    ids=["php", "html", "pdf", "truncated-jpeg", "gif", "empty"],
)
def test_a_hostile_or_wrong_file_is_refused_and_nothing_is_written(ready, world, name, content):
    if content is None:
        content = image_bytes("GIF")
    before = stored_files()
    with pytest.raises(DomainError) as caught:
        delivery.closeout_submit(
            actor=world.leader, need=ready, summary="服务完成",
            photos=[upload("好的.jpg", image_bytes()), upload(name, content)],
        )
    assert caught.value.field == "photos"
    assert caught.value.message.startswith("第 2 张照片")
    assert not CloseOut.objects.exists()
    assert not CloseOutPhoto.objects.exists()
    assert stored_files() == before
    ready.refresh_from_db()
    assert ready.status == NeedStatus.IN_SERVICE


def test_a_photo_too_big_is_refused(ready, world, monkeypatch):
    monkeypatch.setattr(delivery, "PHOTO_MAX_BYTES", 2000)
    big = image_bytes("PNG", size=(100, 100), noisy=True)
    assert len(big) > 2000
    before = stored_files()
    with pytest.raises(DomainError) as caught:
        delivery.closeout_submit(actor=world.leader, need=ready, summary="服务完成", photos=[upload("大.png", big)])
    assert caught.value.code == "photo_too_big"
    assert not CloseOut.objects.exists()
    assert stored_files() == before


def test_the_default_limit_is_eight_megabytes():
    assert delivery.PHOTO_MAX_BYTES == 8 * 1024 * 1024
    too_big = upload("大.jpg", b"\xff\xd8" + b"\x00" * (8 * 1024 * 1024))
    with pytest.raises(DomainError) as caught:
        delivery._read_photo(too_big, 1)
    assert caught.value.message == "第 1 张照片超过 8 MB，请压缩后再上传。"


def test_at_most_nine_photos(ready, world):
    photos = [upload(f"{i}.jpg", image_bytes()) for i in range(10)]
    with pytest.raises(DomainError) as caught:
        delivery.closeout_submit(actor=world.leader, need=ready, summary="服务完成", photos=photos)
    assert caught.value.message == "最多上传 9 张照片。"
    assert not CloseOut.objects.exists()


def test_files_are_removed_when_the_transaction_fails_after_writing_them(ready, world, monkeypatch):
    before = stored_files()

    def broken(assignment):
        raise DomainError("boom", "统计失败")

    monkeypatch.setattr(delivery.stats, "completed", broken)
    with pytest.raises(DomainError):
        delivery.closeout_submit(actor=world.leader, need=ready, summary="服务完成",
                                 photos=[upload("1.jpg", image_bytes())])
    assert stored_files() == before
    assert not CloseOutPhoto.objects.exists()
