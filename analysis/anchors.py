"""Anchors that pages of both languages share (kept apart from the appendix code, so the page
writer can link to Appendix C without importing pandas, scipy and statsmodels)."""


def appendix_c_anchor(fig_id: str) -> str:
    """The id of a figure's section in Appendix C (the same in both languages): figure panels and
    the numbers in the text link to it."""
    return f"bilag-c-{fig_id}" if fig_id else "bilag-c-tekst"
