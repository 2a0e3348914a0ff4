from tests.support.api import admin_headers, assert_body


async def test_health_and_whoami(client):
    assert_body(await client.get("/health"), 200, '{"status":"healthy"}')
    headers = await admin_headers(client)
    response = await client.get("/whoami", headers=headers)
    assert response.status_code == 200
    assert response.json()["username"] == "admin"
