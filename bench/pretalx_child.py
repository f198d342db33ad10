"""pretalx's side of a measurement, run by bench/peers.py with pretalx's own venv (Django, not this project's).

    python pretalx_child.py setup       # once: one event, "benchcon", with an open CfP
    python pretalx_child.py cold        # a cold start to the submission form's first step
    python pretalx_child.py warm N      # N warm GETs of that step, in one process

Each prints one JSON line. Only the standard library (and cold_child.py's peak_rss_kib, beside it) is
imported before Django.
"""

import datetime as dt
import json
import statistics
import sys
import time

from cold_child import peak_rss_kib  # beside this script, on sys.path[0]

EVENT = "benchcon"
HOST = "localhost"


def set_up() -> None:
    import django

    django.setup()
    from django.utils.timezone import now
    from django_scopes import scope, scopes_disabled
    from pretalx.event.models import Event, Organiser

    with scopes_disabled():
        if Event.objects.filter(slug=EVENT).exists():
            print(json.dumps({"event": EVENT, "created": False}))
            return
        organiser = Organiser.objects.create(name="Bench organisers", slug="benchorg")
        start = (now() + dt.timedelta(days=365)).date()
        event = Event.objects.create(
            name="BenchCon",
            slug=EVENT,
            organiser=organiser,
            is_public=True,
            date_from=start,
            date_to=start + dt.timedelta(days=1),
            timezone="Europe/Paris",
            email="cfp@example.org",
            locale_array="en",
            locale="en",
        )
    with scope(event=event):
        event.build_initial_data()
        event.cfp.headline = "OSPO, you can be heroes!"
        event.cfp.text = "Tell a good, bad or ugly OSPO experience in 3 minutes, with no slides."
        event.cfp.deadline = now() + dt.timedelta(days=300)
        event.cfp.save()
        print(json.dumps({"event": EVENT, "created": True, "cfp_open": event.cfp.is_open}))


def first_step(client: object) -> tuple[object, str]:
    """GET /<event>/submit/, which redirects to the wizard's first step: follow it, as a browser would."""
    response = client.get(f"/{EVENT}/submit/", follow=True, HTTP_HOST=HOST)  # type: ignore[attr-defined]
    return response, response.redirect_chain[-1][0]


def cold() -> None:
    started = time.perf_counter()
    import django

    django.setup()
    set_up_at = time.perf_counter()
    from django.test import Client

    response, step = first_step(Client())
    answered = time.perf_counter()
    answered_at = time.time()
    print(
        json.dumps(
            {
                "answered_at": answered_at,
                "import_s": set_up_at - started,
                "first_request_s": answered - set_up_at,
                "status": response.status_code,  # type: ignore[attr-defined]
                "body_bytes": len(response.content),  # type: ignore[attr-defined]
                "step": step,
                "max_rss_kib": peak_rss_kib(),
                "modules": len(sys.modules),
            }
        )
    )


def warm(gets: int) -> None:
    import django

    django.setup()
    from django.test import Client

    client = Client()
    _, step = first_step(client)
    for _ in range(20):
        assert client.get(step, HTTP_HOST=HOST).status_code == 200
    samples = []
    for _ in range(gets):
        begun = time.perf_counter()
        response = client.get(step, HTTP_HOST=HOST)
        samples.append(time.perf_counter() - begun)
        assert response.status_code == 200
    print(
        json.dumps(
            {
                "step": step,
                "median": statistics.median(samples),
                "min": min(samples),
                "max": max(samples),
                "n": len(samples),
                "samples": samples,
                "body_bytes": len(response.content),
            }
        )
    )


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        set_up()
    elif command == "cold":
        cold()
    else:
        warm(int(sys.argv[2]))
