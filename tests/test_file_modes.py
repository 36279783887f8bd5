"""Issue 9 §6: the instance's files are the service user's only — files 0600, folders 0700 — after real
operations (init, intake with a photo, a sale, backups), and an older instance is fixed at start."""

import io
import os
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import create_app
from cli.main import main
from core.backup import auto_backup
from core.db import connect
from core.files import secure_instance
from core.settings import get_setting
from tests.conftest import OWNER_PIN, jpeg_bytes, login

IS_POSIX = os.name == "posix"
pytestmark = pytest.mark.skipif(not IS_POSIX, reason="file modes are POSIX")


@pytest.fixture(autouse=True)
def everyday_umask():
    """Start from a shell's usual umask (022, files 0644), so the app's own rule is what is tested."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path):
    return stat.S_IMODE(Path(path).lstat().st_mode)


def modes_under(root):
    """``{relative path: mode}`` of the folder and everything in it."""
    root = Path(root)
    found = {".": mode(root)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = mode(path)
    return found


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_init_intake_photo_sale_and_backups_leave_only_private_files(tmp_path):
    instance = tmp_path / "shop"
    result = run("init", "--instance", instance, "--shop-name", "旧物小铺", "--owner-name", "Olga", "--pin", OWNER_PIN)
    assert result.exit_code == 0, result.output
    assert mode(instance) == 0o700
    assert mode(instance / "resale.db") == 0o600

    app = create_app({"INSTANCE_PATH": str(instance), "WTF_CSRF_ENABLED": False, "BACKGROUND_WORKERS": False})
    keeper = connect(app.config["DATABASE"])  # an open connection keeps -wal and -shm on disk to look at
    try:
        owner_id = keeper.execute("SELECT id FROM staff WHERE role = 'owner'").fetchone()[0]
        category = get_setting(keeper, "categories")[1]
        client = app.test_client()
        assert login(client, owner_id, OWNER_PIN).status_code == 302
        response = client.post("/intake", content_type="multipart/form-data", data={
            "title": "旧书 红楼梦", "price": "18.50", "consignor": "0", "category": category,
            "condition": "B", "brand": "", "photo": (io.BytesIO(jpeg_bytes()), "photo.jpg")})
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
        tag, photo = keeper.execute("SELECT tag, photo FROM items").fetchone()
        assert photo and (instance / "photos" / photo).is_file()

        client.post("/till/scan", data={"code": tag}, headers={"HX-Request": "true"})
        page = client.get("/till").get_data(as_text=True)
        key = re.search(r'name="sale_key" value="([0-9a-f]+)"', page).group(1)
        response = client.post("/till/complete", headers={"HX-Request": "true"}, data={
            "sale_key": key, "expected_total": "1850", "kind": "cash", "amount": "18.50", "reference": ""})
        assert response.status_code == 200
        assert keeper.execute("SELECT count(*) FROM sales").fetchone()[0] == 1

        assert run("backup", "--instance", instance).exit_code == 0
        auto_backup(app.config["DATABASE"], instance / "backups", keep=5)

        found = modes_under(instance)
        assert {"resale.db", "resale.db-wal", "resale.db-shm", "pii.key", "party-hash.key", "secret_key",
                "photos", f"photos/{photo}", "backups"} <= set(found)
        assert sum(name.startswith("backups/manual-") for name in found) == 1
        assert sum(name.startswith("backups/resale-") for name in found) == 1
        expected = {name: 0o700 if (instance / name).is_dir() else 0o600 for name in found}
        assert found == expected
    finally:
        keeper.close()


def test_an_older_instance_with_open_modes_is_fixed_at_start(tmp_path):
    instance = tmp_path / "old-shop"
    create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False})
    # as an older version (or ``cp -r`` with umask 022) left it: everything readable by everyone
    (instance / "photos").mkdir()
    (instance / "photos" / "a.jpg").write_bytes(jpeg_bytes())
    (instance / "backups").mkdir()
    (instance / "backups" / "resale-20260101-000000-000.db").write_bytes(b"x")
    for path in [instance, *instance.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    (instance / "link").symlink_to(outside)

    create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False})

    found = modes_under(instance)
    del found["link"]  # a symlink is never followed (it would chmod the file it points at)
    assert found == {name: 0o700 if (instance / name).is_dir() else 0o600 for name in found}
    assert mode(outside) == 0o644
    assert secure_instance(instance) == 0  # nothing left to change


def test_files_created_after_start_are_private_whatever_the_umask_was(tmp_path):
    instance = tmp_path / "shop"
    create_app({"INSTANCE_PATH": str(instance), "BACKGROUND_WORKERS": False})
    assert os.umask(0o077) == 0o077  # the app set it for the process
    os.umask(0o022)  # something else in the process loosened it again: the explicit modes still hold
    backup_file = auto_backup(instance / "resale.db", instance / "backups", keep=3)
    assert (mode(backup_file), mode(backup_file.parent)) == (0o600, 0o700)
