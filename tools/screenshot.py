"""Take a screenshot of a page in headless Chromium, optionally logged in, optionally phone-sized.

    .venv/bin/python tools/screenshot.py http://127.0.0.1:8000/orgs/tree/ /tmp/tree.png --login city_admin
"""

import argparse

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--login", help="username (demo password assumed unless --password)")
    parser.add_argument("--password", default="Jinguo@2026")
    parser.add_argument("--mobile", action="store_true")
    parser.add_argument("--full", action="store_true", help="full page")
    args = parser.parse_args()
    base = args.url.split("/", 3)
    origin = "/".join(base[:3])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        viewport = {"width": 390, "height": 844} if args.mobile else {"width": 1366, "height": 900}
        page = browser.new_page(viewport=viewport, locale="zh-CN")
        if args.login:
            page.goto(origin + "/login/")
            page.fill("#id_username", args.login)
            page.fill("#id_password", args.password)
            page.click("button[type=submit]")
        page.goto(args.url)
        page.screenshot(path=args.out, full_page=args.full)
        browser.close()


if __name__ == "__main__":
    main()
