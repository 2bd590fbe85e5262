"""What a reader sees when they open a number in the text: its value, count and base, who was
asked, its status, what the source prints and where, and links to its figure and the
reconciliation. One dictionary per language, from the numbers artifact; each page embeds the
entries of the numbers it shows (so it works offline and from a file)."""
from __future__ import annotations

import re

from analysis import fmt, words


def _asked(population: str, populations: dict[str, str]) -> str:
    return populations.get(re.sub(r"\s+", " ", population.strip()), "")


def details(numbers: dict, lang: str, populations: dict[str, str], refs: dict) -> dict[str, dict]:
    """key -> the popover's rows (already formatted for `lang`) and links (page-relative later)."""
    from arena.chapter import format_number

    w = lambda k, **v: words.get(lang, k, **v)  # noqa: E731
    out = {}
    for key, n in numbers.items():
        rows = [(w("claim.value"), format_number(n, lang))]
        if n.get("count") is not None and not n.get("suppressed") and n["unit"] in ("pct", "pct1", "range"):
            rows.append((w("claim.count"), fmt.number(n["count"], lang)))
        if n.get("base") is not None and n["unit"] in ("pct", "pct1", "range", "count"):
            rows.append((w("claim.base"), fmt.number(n["base"], lang)))
        asked = _asked(n.get("population", ""), populations)
        if asked:
            rows.append((w("claim.asked"), asked))
        rows.append((w("claim.status"), w(f"status.{n['status']}")))
        if n.get("rests_on"):
            rows.append((w("claim.rests_on"), w(f"rests_on.{n['rests_on']}")))
        if n.get("printed"):
            rows.append((w("claim.printed"), n["printed"]))
        lines = [s.split(":", 1)[1] for s in str(n.get("source", "")).split(";") if ":" in s]
        if lines:
            rows.append((w("claim.source"), ", ".join(w("claim.line", line=l) for l in lines)))
        entry = {"rows": rows, "status": n["status"], "figure_id": n.get("figure") or ""}
        ref = refs.get(n.get("figure") or "")
        if ref:
            entry["figure"] = {"label": f"{w('claim.figure')} {ref['number']}", "page": ref["page"],
                               "anchor": ref["anchor"]}
        out[key] = entry
    return out


COLUMNS = ("key", "value", "count", "base", "asked", "status", "rests_on", "printed", "source", "figure",
           "p", "test")


def numbers_csv(numbers: dict, lang: str, populations: dict[str, str], refs: dict) -> str:
    """Every number of the registry with its provenance, as a CSV for the page's locale:
    Danish with `;`, decimal comma and a byte-order mark (what Danish spreadsheets expect),
    English with `,` and a decimal point. The same columns as a number's popover."""
    import csv
    import io

    from analysis.escape import csv_cell
    from arena.chapter import format_number

    def dec(x, digits=4):
        return "" if x is None else fmt.decimal(x, lang, digits) if not float(x).is_integer() else fmt.number(x, lang)

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "da" else ",", lineterminator="\n")
    writer.writerow([words.get(lang, f"numbers.{c}") for c in COLUMNS])
    for key, n in numbers.items():
        ref = refs.get(n.get("figure") or "")
        lines = [s.split(":", 1)[1] for s in str(n.get("source", "")).split(";") if ":" in s]
        row = [key, format_number(n, lang), dec(n.get("count")) if not n.get("suppressed") else "",
               dec(n.get("base")), _asked(n.get("population", ""), populations), words.get(lang, f"status.{n['status']}"),
               words.get(lang, f"rests_on.{n['rests_on']}") if n.get("rests_on") else "", n.get("printed", ""),
               ", ".join(words.get(lang, "claim.line", line=l) for l in lines),
               ref["number"] if ref else "", dec(n.get("p")), words.get(lang, n["test"]) if n.get("test") else ""]
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" if lang == "da" else "") + out.getvalue()


def codebook_csvs(codebook, lang: str) -> tuple[str, str]:
    """The codebook (questions, codes and labels in both languages, who was asked) and the data
    dictionary (each column of the respondent file: what a value, an empty cell and each special
    code mean), as CSV for the page's locale."""
    import csv
    import io

    from analysis.escape import csv_cell

    def write(rows: list[list[str]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";" if lang == "da" else ",", lineterminator="\n")
        writer.writerows([[csv_cell(v) for v in row] for row in rows])
        return ("\ufeff" if lang == "da" else "") + out.getvalue()

    w = lambda k, **v: words.get(lang, f"codebook.{k}", **v)  # noqa: E731
    book = [[w("variable"), w("question_da"), w("question_en"), w("asked_da"), w("asked_en"), w("codes")]]
    dictionary = [[w("column"), w("values"), w("empty"), w("special")],
                  ["resp_id", w("id_values"), w("never_empty"), ""]]
    for v in codebook.variables.values():
        scale, pop = codebook.scales[v.scale], codebook.populations[v.population]
        codes = "; ".join(f"{c.code} = {c.da} / {c.en}" for c in scale.codes)
        book.append([v.id, v.question["da"], v.question["en"], pop.da, pop.en, codes])
        substantive = [str(c.code) for c in scale.codes if c.kind == "substantive"]
        special = "; ".join(f"{c.code} = {w('kind.' + c.kind)}" for c in scale.codes if c.kind != "substantive")
        empty = w("not_asked", who=getattr(pop, lang)) if pop.query else w("never_empty")
        dictionary.append([v.id, w("code_values", codes=", ".join(substantive)), empty, special])
    return write(book), write(dictionary)
