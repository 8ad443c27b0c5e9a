"""`make run`'s machinery: first start writes secrets; a second start keeps the data."""

import stat

import pytest
import requests

from ..pulp import PulpAPI, PulpProcess


@pytest.fixture
def own_server(tmp_path):
    server = PulpProcess(tmp_path / "data", admin_password="s3cret-admin")
    yield server
    server.stop()


def test_first_start_writes_secrets_and_a_restart_keeps_data(own_server):
    own_server.start()
    data = own_server.data_dir
    settings = (data / "settings.py").read_text()
    assert "SECRET_KEY" in settings
    for secret in ("settings.py", "certs/database_fields.symmetric.key",
                   "certs/token_private_key.pem"):
        assert stat.S_IMODE((data / secret).stat().st_mode) == 0o600, secret
    output = own_server.output.read_text()
    assert "s3cret-admin" in output and own_server.api_url in output

    api = PulpAPI(own_server.api_url, auth=("admin", "s3cret-admin"))
    api.create_repository("kept")
    assert requests.get(own_server.api_url + "/pulp/api/v3/repositories/",
                        auth=("admin", "wrong")).status_code == 401

    own_server.stop()
    assert "Stopped." in own_server.output.read_text()
    assert own_server.process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(own_server.api_url + "/pulp/api/v3/status/", timeout=5)

    own_server.start()
    listed = api.ok(api.get("repositories/container/container/", params={"name": "kept"}))
    assert listed["count"] == 1
    assert (data / "settings.py").read_text() == settings
