"""Photo uploads: real files, decoded to validate, EXIF stripped but orientation kept."""
import hashlib
import io

from PIL import Image

from tests.support import POINT_GRID1

GPS_IFD, MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112


def jpeg_with_exif(width=64, height=48) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "SpyPhone"
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD)[2] = (43.0, 36.0, 10.0)  # GPSLatitude: where the resident lives
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


def upload(client_api, data: bytes, name="photo.jpg"):
    return client_api.post("/api/v1/uploads", data={"file": (io.BytesIO(data), name)},
                           headers={}, content_type="multipart/form-data")


def test_upload_strips_exif_but_keeps_orientation_and_makes_a_thumbnail(api, world):
    worker = api("worker")
    response = upload(worker, jpeg_with_exif())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "image/jpeg" and (body["width"], body["height"]) == (64, 48)
    served = worker.get(f"/attachments/{body['id']}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert hashlib.sha256(served.data).hexdigest() == body["sha256"]
    exif = Image.open(io.BytesIO(served.data)).getexif()
    assert exif.get(ORIENTATION) == 6
    assert MAKE not in exif and not exif.get_ifd(GPS_IFD)
    thumb = worker.get(f"/attachments/{body['id']}/thumb")
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    stored = list((world.config["UPLOAD_DIR"]).rglob(f"{body['sha256']}.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == served.data


def test_png_and_webp_are_accepted(api):
    assert upload(api("worker"), png_bytes(), "a.png").get_json()["content_type"] == "image/png"
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "WEBP")
    assert upload(api("worker"), out.getvalue(), "a.webp").get_json()["content_type"] == "image/webp"


def test_files_that_are_not_photos_are_refused(api):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    gif = io.BytesIO()
    Image.new("P", (4, 4)).save(gif, "GIF")
    truncated = jpeg_with_exif()[:200]
    polyglot = jpeg_with_exif()[:2] + pdf  # JPEG magic bytes, PDF inside
    for data, name in ((pdf, "renamed.jpg"), (gif.getvalue(), "a.gif"),
                       (truncated, "cut.jpg"), (polyglot, "poly.jpg"), (b"", "empty.jpg")):
        response = upload(api("worker"), data, name)
        assert response.status_code == 422, name
        assert "file" in response.get_json()["fields"]


def test_missing_file_field_is_422(api):
    response = api("worker").post("/api/v1/uploads", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["fields"]


def test_oversized_upload_is_413(api, world, configure):
    configure(UPLOAD_MAX_BYTES=2000)
    response = upload(api("worker"), jpeg_with_exif(400, 400) + b"\0" * 3000)
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"


def test_photos_attach_to_a_new_case_and_to_actions(api, report):
    worker = api("worker")
    photo = upload(worker, jpeg_with_exif()).get_json()["id"]
    event = report("worker", photo_ids=[photo])
    assert [p["id"] for p in event["photos"]] == [photo]
    assert event["history"][0]["photos"][0]["id"] == photo
    again = worker.post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "复用照片", "photo_ids": [photo]})
    assert again.status_code == 422 and "photo_ids" in again.get_json()["fields"]
    assert len(worker.get("/api/v1/events").get_json()["items"]) == 1  # nothing half-written


def test_someone_elses_photo_cannot_be_claimed_or_seen(api, report):
    photo = upload(api("w101002"), png_bytes(), "a.png").get_json()["id"]
    response = api("worker").post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "x", "photo_ids": [photo]})
    assert response.status_code == 422
    assert api("worker").get(f"/attachments/{photo}").status_code == 404


def test_handling_photo_is_visible_to_who_sees_the_case(api, report):
    event = report("worker")
    api("dispatcher").act(event["id"], "dispatch")
    api("handler").act(event["id"], "accept")
    photo = upload(api("handler"), jpeg_with_exif()).get_json()["id"]
    body = api("handler").act(event["id"], "handle", note="已清理", photo_ids=[photo]).get_json()
    assert body["history"][-1]["photos"][0]["id"] == photo
    assert api("worker").get(f"/attachments/{photo}").status_code == 200
    assert api("w101002").get(f"/attachments/{photo}").status_code == 404
    refused = api("dispatcher").act(event["id"], "suspend", note="x", photo_ids=[photo])
    assert refused.status_code == 422


def test_a_bearer_token_wins_over_a_stray_session_cookie(api, world):
    body = upload(api("worker"), jpeg_with_exif()).get_json()
    client = world.test_client()
    client.get("/lang/en")  # a session cookie with no one logged in
    answer = client.get(f"/attachments/{body['id']}", headers=api("worker").headers)
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    answer = client.get(f"/attachments/{body['id']}", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401


def test_405_answers_say_which_methods_are_allowed(client):
    answer = client.put("/api/v1/events")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert client.delete("/login").headers["Allow"]


# --- staff forms: a photo uploaded as soon as it is chosen, held by the form -----------------

def _page_upload(client, data: bytes, name="photo.jpg", **headers):
    return client.post("/uploads", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data",
                       headers={"Accept": "application/json", **headers})


def test_a_photo_chosen_on_a_form_is_uploaded_and_its_thumbnail_served(login_as):
    worker = login_as("worker")
    answer = _page_upload(worker, jpeg_with_exif())
    assert answer.status_code == 201
    body = answer.get_json()
    assert worker.get(body["thumb"]).mimetype == "image/jpeg"
    assert login_as("w101002").get(body["thumb"]).status_code == 404  # only its uploader
    refused = _page_upload(worker, b"not a photo", "x.jpg")
    assert refused.status_code == 422 and refused.get_json()["message"]


def test_the_upload_from_a_page_needs_its_csrf_token(login_as, configure):
    import re
    worker = login_as("worker")
    configure(WTF_CSRF_ENABLED=True)
    refused = _page_upload(worker, jpeg_with_exif())
    assert refused.status_code == 400 and refused.is_json  # the page's script reads why
    page = worker.get("/events/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert _page_upload(worker, jpeg_with_exif(), **{"X-CSRFToken": token}).status_code == 201


def test_a_refused_report_keeps_its_photos_and_the_next_try_files_them(login_as,
                                                                       new_case_form):
    from tests.pagehelpers import text_of
    worker = login_as("worker")
    ids = [_page_upload(worker, jpeg_with_exif()).get_json()["id"],
           _page_upload(worker, png_bytes(), "b.png").get_json()["id"]]
    refused = new_case_form(worker, description="  ", photo_ids=[str(i) for i in ids])
    assert refused.status_code == 422
    page = text_of(refused)
    for photo in ids:  # shown again, and sent again with the corrected form
        assert f'name="photo_ids" value="{photo}"' in page
        assert f"/attachments/{photo}/thumb" in page
    filed = new_case_form(worker, description="路边垃圾", photo_ids=[str(i) for i in ids])
    assert filed.status_code == 302
    case = text_of(worker.get(filed.headers["Location"]))
    assert all(f"/attachments/{photo}/thumb" in case for photo in ids)


def test_a_form_cannot_hold_someone_elses_photo(login_as, new_case_form):
    from tests.pagehelpers import text_of
    other = _page_upload(login_as("w101002"), png_bytes(), "a.png").get_json()["id"]
    worker = login_as("worker")
    shown = text_of(new_case_form(worker, description=" ", photo_ids=[str(other)]))
    assert f'value="{other}"' not in shown and f"/attachments/{other}/thumb" not in shown
    refused = new_case_form(worker, photo_ids=[str(other)])
    assert refused.status_code == 422 and "照片不存在或已被使用" in text_of(refused)
    assert new_case_form(worker, photo_ids=["garbage"]).status_code == 422


def test_an_action_refused_for_its_note_keeps_the_photo_for_the_next_try(login_as, report,
                                                                        api):
    from tests.pagehelpers import field_value, text_of, timeline
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(case["id"], "accept")
    handler = login_as("handler")
    photo = _page_upload(handler, jpeg_with_exif()).get_json()["id"]
    detail = handler.get(f"/events/{case['id']}")
    data = {"action": "handle", "note": " ", "photo_ids": str(photo),
            "version": field_value(detail, "version")}
    refused = handler.post(f"/events/{case['id']}/actions", data=data)
    assert refused.status_code == 422
    handle_form = text_of(refused).split('name="action" value="handle"', 1)[1].split("</form>")[0]
    assert f'name="photo_ids" value="{photo}"' in handle_form
    done = handler.post(f"/events/{case['id']}/actions", data={**data, "note": "已清运"})
    assert done.status_code == 302
    after = handler.get(f"/events/{case['id']}")
    assert timeline(after)[0] == "处置反馈"
    section = text_of(after).split('<section class="timeline">', 1)[1]
    assert f"/attachments/{photo}/thumb" in section
