"""The console's session and forms over plain HTTP: cookie flags, CSRF, redirects, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.console.conftest import Seeded, csrf_of

pytestmark = pytest.mark.slow

SignIn = Callable[[str], httpx.Client]


@pytest.fixture
def signed_in(seeded: Seeded) -> Iterator[Callable[[str], httpx.Client]]:
    """A client signed in as one of the seeded keys; closed after the test."""
    clients: list[httpx.Client] = []

    def sign_in(who: str) -> httpx.Client:
        client = httpx.Client(base_url=seeded.ui, follow_redirects=False, timeout=30)
        clients.append(client)
        response = client.post("/signin", data={"key": seeded.key(who)})
        assert response.status_code == 303
        return client

    yield sign_in
    for client in clients:
        client.close()


def test_the_key_cookie_is_http_only_strict_and_scoped(seeded: Seeded) -> None:
    response = httpx.post(f"{seeded.ui}/signin", data={"key": seeded.key("writer")})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/ui" in cookie
    page = httpx.get(f"{seeded.ui}/ask", cookies=response.cookies)
    assert page.status_code == 200
    assert "script-src" not in page.headers["content-security-policy"]  # none at all
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_post_without_the_forms_token_changes_nothing(seeded: Seeded, signed_in: SignIn) -> None:
    client = signed_in("admin")
    lesson = seeded.ids["lesson"]
    forged = client.post(f"/memories/{lesson}/quarantine", data={"reason": "x"})
    assert forged.status_code == 403
    assert "stale or came from another site" in forged.text
    wrong = client.post(f"/memories/{lesson}/quarantine", data={"csrf": "0" * 40})
    assert wrong.status_code == 403
    assert "active" in client.get(f"/memories/{lesson}").text
    # the token of another key does not pass either
    other = signed_in("other")
    token = csrf_of(other.get("/ask").text)
    assert client.post(f"/memories/{lesson}/quarantine", data={"csrf": token}).status_code == 403


def test_sign_in_from_another_site_is_refused(seeded: Seeded) -> None:
    response = httpx.post(
        f"{seeded.ui}/signin",
        data={"key": seeded.key("writer")},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_sign_in_returns_only_to_console_paths(seeded: Seeded) -> None:
    response = httpx.post(
        f"{seeded.ui}/signin", data={"key": seeded.key("writer"), "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/ui/ask"


def test_a_revoked_key_in_the_cookie_signs_the_browser_out(seeded: Seeded) -> None:
    response = httpx.get(f"{seeded.ui}/ask", cookies={"spark_console_key": seeded.key("revoked")})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/signin?next=/ask"
    assert 'spark_console_key=""' in response.headers["set-cookie"]


def test_bad_filters_are_a_422_page_with_the_reason(seeded: Seeded, signed_in: SignIn) -> None:
    client = signed_in("reader")
    response = client.get("/memories", params={"status": "lost"})
    assert response.status_code == 422
    assert "status must be one of quarantined, active, superseded, retired" in response.text
    response = client.get("/memories", params={"min_trust": "2"})
    assert response.status_code == 422
    assert "between 0 and 1" in response.text


def test_filters_narrow_the_list(seeded: Seeded, signed_in: SignIn) -> None:
    client = signed_in("admin")
    everything = client.get("/memories").text
    assert "Globex" not in everything  # another org's org-scoped lesson
    numpy_only = client.get("/memories", params={"library": "numpy"}).text
    assert "numpy.argsort" in numpy_only
    assert "value_counts(normalize=True)" not in numpy_only
    trusted = client.get("/memories", params={"min_trust": "0.3"}).text
    assert "value_counts(normalize=True)" in trusted
    assert "metrics database" not in trusted  # lower bound 0.21
    assert "No insight matches" in client.get("/memories", params={"status": "superseded"}).text


def test_a_writer_reverts_its_own_lesson(seeded: Seeded, signed_in: SignIn) -> None:
    writer = signed_in("writer")
    created = httpx.post(
        f"{seeded.server.url}/v1/memories",
        headers=seeded.server.headers("writer"),
        json={
            "title": "Temporary lesson to revert",
            "content": "Prefer np.unique(a, return_counts=True).",
        },
        timeout=30,
    ).json()["id"]
    token = csrf_of(writer.get(f"/memories/{created}/confirm/revert").text)
    done = writer.post(f"/memories/{created}/revert", data={"csrf": token})
    assert done.status_code == 303
    assert "deleted+insight" in done.headers["location"]
    assert writer.get(f"/memories/{created}").status_code == 404


def test_another_orgs_key_is_not_found(seeded: Seeded, signed_in: SignIn) -> None:
    other = signed_in("other")
    key_id = seeded.ids["key_newbie"]  # acme's
    assert other.get(f"/org/keys/{key_id}/revoke").status_code == 404
    token = csrf_of(other.get("/org").text)
    assert other.post(f"/org/keys/{key_id}/revoke", data={"csrf": token}).status_code == 404
    assert key_id not in other.get("/org").text
