"""Reporters turn a finished Review into text; they never see rules or parsers."""

FORMATS = ("review", "markdown", "json", "sarif")


def render(review, fmt, colour=False):
    if fmt == "json":
        from infra_expert.report.json_report import render_json
        return render_json(review)
    if fmt == "sarif":
        from infra_expert.report.sarif import render_sarif
        return render_sarif(review)
    from infra_expert.report.markdown import render_review
    return render_review(review, colour=colour and fmt == "review")
