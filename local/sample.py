"""A sample application, as a person would fill in the form: shared by the tests and the benchmarks."""

STORY = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "organisation": "Analytical Engines Ltd",
    "kind": "ugly",
    "title": "Our OSPO ate the legal team",
    "summary": "We started an OSPO and the first thing it did was get stuck in licence review for six months. "
    "Here is how we got out, and the checklist we wish we had on day one.",
    "consent": "on",
}
