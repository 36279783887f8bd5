"""Issue 11 §1: scanning a tag with the tablet's camera adds the item at the till.

A second Chromium runs with a fake camera (``--use-fake-device-for-media-stream``) whose video is a file made
here from the price tag the hub itself renders (``/tags/<id>.png``, as the tag printer prints it): the QR on
it is decoded in the page by the vendored jsQR, put into the scan field and sent through the till's own
form. The test asserts the cart line in the page and in the server's cart, that the same tag held in front
of the lens is sent once, and that a receipt lookup reads a receipt's QR the same way.
"""

import io

import pytest
import zxingcpp
from PIL import Image

from core.db import connect, transaction
from core.settings import get_setting, set_setting
from inventory import items
from tests.browser import CHROMIUM, CHROMIUM_ARGS, OWNER_PIN, login

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def held_to_the_lens(tag):
    """What a tablet's camera sees when the tag's QR is held in front of it: the part of the tag around the
    QR (found by zxing-cpp, which also says what the QR holds), magnified to 360 px. Returns
    ``(image, payload)``."""
    (found,) = [r for r in zxingcpp.read_barcodes(tag) if r.format == zxingcpp.BarcodeFormat.QRCode]
    corners = [found.position.top_left, found.position.top_right, found.position.bottom_left,
               found.position.bottom_right]
    left, right = min(p.x for p in corners), max(p.x for p in corners)
    top, bottom = min(p.y for p in corners), max(p.y for p in corners)
    margin = (right - left) // 3
    crop = tag.convert("RGB").crop((left - margin, top - margin, right + margin, bottom + margin))
    return crop.resize((360, 360), Image.NEAREST), found.text


def y4m(image, frames=6):
    """``image`` centred on a white 640×480 frame as a YUV4MPEG2 (4:2:0) video of a few identical frames,
    the format Chromium's ``--use-file-for-fake-video-capture`` plays in a loop."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    image = image.convert("RGB")
    frame.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    body = y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + b"".join(b"FRAME\n" + body for _ in range(frames))


@pytest.fixture
def camera_browser(browser, tmp_path):
    """Make a fake-camera Chromium for a video file written later: ``launch(video_bytes)``."""
    launched = []

    def launch(video):
        path = tmp_path / "camera.y4m"
        path.write_bytes(video)
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                  "--host-resolver-rules=MAP hub.test 127.0.0.1",
                                  f"--use-file-for-fake-video-capture={path}"])
        launched.append(chromium)
        return chromium

    yield launch
    for chromium in launched:
        chromium.close()


def test_the_camera_reads_a_printed_tag_into_the_cart(live_server, browser, camera_browser):
    app = live_server.app
    db = connect(app.config["DATABASE"])
    try:
        with transaction(db):  # the hub's address, saved at first start: the tags' QR links point at it
            set_setting(db, "resolver_base", live_server.url)
        item = items.intake(db, app.config, title="搪瓷杯 Enamel mug", category=get_setting(db, "categories")[0],
                            condition="B", price_fen=3500, staff_id=live_server.owner)
    finally:
        db.close()
    base = live_server.url

    # the tag as the hub renders it for the tag printer
    plain = browser.new_context()
    try:
        page = plain.new_page()
        login(page, base, "Olga", OWNER_PIN)
        answer = page.request.get(f"{base}/tags/{item['id']}.png")
        assert answer.status == 200 and answer.headers["content-type"] == "image/png"
        tag = Image.open(io.BytesIO(answer.body()))
    finally:
        plain.close()

    lens, payload = held_to_the_lens(tag)
    assert payload == f"{base}/i/{item['tag']}"  # the tag's QR: the item's page on this hub
    chromium = camera_browser(y4m(lens))
    context = chromium.new_context(viewport={"width": 800, "height": 1280}, locale="zh-CN")
    context.grant_permissions(["camera"], origin=base)
    try:
        page = context.new_page()
        scans = []
        page.on("request", lambda request: scans.append(request.post_data) if (
            request.method == "POST" and request.url.endswith("/till/scan")) else None)
        login(page, base, "Olga", OWNER_PIN)
        page.goto(f"{base}/till")
        assert page.evaluate("window.isSecureContext")  # 127.0.0.1 is a secure context: the camera is allowed
        page.locator("[data-camera-for='#scan']").click()
        page.locator("#camera[open]").wait_for()
        page.locator("#till .cart-line", has_text=item["tag"]).wait_for(timeout=20_000)
        assert "读取" in page.locator("#camera-status").inner_text()
        # the tag stays in front of the lens for another two seconds: it is not sent again
        page.wait_for_timeout(2000)
        assert len(scans) == 1, scans
        assert page.locator("#till .cart-line").count() == 1
        page.locator("[data-camera-close]").click()
        page.locator("#camera[open]").wait_for(state="detached")
        assert page.evaluate("document.getElementById('camera-video').srcObject") is None
    finally:
        context.close()

    # another tablet on the LAN over plain HTTP: no secure context, so the dialog says why and what to do
    lan = chromium.new_context(viewport={"width": 800, "height": 1280}, locale="en")
    try:
        page = lan.new_page()
        lan_base = base.replace("127.0.0.1", "hub.test")
        login(page, lan_base, "Olga", OWNER_PIN)
        page.goto(f"{lan_base}/till")
        assert not page.evaluate("window.isSecureContext")
        page.locator("[data-camera-for='#scan']").click()
        assert "only over HTTPS" in page.locator("#camera-status").inner_text()
        assert page.evaluate("document.getElementById('camera-video').srcObject") is None
        with page.expect_navigation():
            page.locator("#camera-connect a").click()
        assert page.url == f"{lan_base}/connect" and page.locator("#no-https").is_visible()
    finally:
        lan.close()

    db = connect(app.config["DATABASE"])
    try:
        rows = [tuple(row) for row in db.execute("SELECT item_id FROM cart_lines")]
    finally:
        db.close()
    assert rows == [(item["id"],)]
