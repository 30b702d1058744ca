"""How personal data is shown to someone without the right to see it in full (R3)."""


def mask_id_number(number: str) -> str:
    """110105199001010021 -> 110105********0021: region and last four stay, the birth date is hidden."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 2) + number[-1:]
    if len(number) < 14:
        # Passports and permits (9-13 characters): six plus four would show all or nearly all of them.
        return number[:2] + "*" * (len(number) - 4) + number[-2:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    if len(phone) > 4:
        return "*" * (len(phone) - 4) + phone[-4:]
    return "****"


def mask_name(name: str) -> str:
    """张晓丽 -> 张*丽, 王芳 -> 王*: for public pages."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
