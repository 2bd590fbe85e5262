"""Compare two built sites page by page: the embedded renderer's and real Quarto's.

    python -m arena.render.parity EMBEDDED_SITE QUARTO_SITE [--report docs/quarto-parity.md]

Pages are paired by path under `<site>/<lang>/`. For each pair, what the reader gets is compared,
not the markup: the text of the main content, the `data-claim` values of the numbers, the
figure/table/infographic anchors and the numbers printed with them ("Figur 12"), the headings
and the internal links. Theme, navigation and scripts may differ and are not looked at.
Each language's PDF is compared by the numbers it prints with a word: "Figur 15", "Tabel 2",
"Infografik 1", "Kapitel 4", "Bilag B" (and the English words), in reading order, so that
"Figur 8.1" against "Figur 15" or a numbered section shows (`pdf_numbers`).
tests/test_quarto_parity.py runs it when `quarto` is on PATH.
"""
from __future__ import annotations

import argparse
import difflib
import posixpath
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

LANGS = ("da", "en")
ANCHOR = re.compile(r"^(fig|tbl|inf|sec)-")
FLOAT_NUMBER = re.compile(r"\b(Figur|Figure|Tabel|Table|Infografik|Infographic)\s(\d+)\b")
SKIP = {"script", "style", "svg", "template", "noscript", "button"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Navigation and page chrome inside <main> (either site's): previous/next links, Quarto's
# title-block metadata (author, date) and heading anchors. Not content; allowed to differ.
# Quarto's callouts also carry a screen-reader-only label of their kind ("Note").
CHROME = {"page-nav", "quarto-title-meta", "anchorjs-link", "quarto-page-breadcrumbs",
          "page-navigation", "nav-page", "screen-reader-only"}
# On the home page Quarto puts the book's title block in <main>; the embedded site has it in
# its top bar.
HOME_CHROME = CHROME | {"quarto-title-block"}
# A float, chapter or appendix number as a PDF prints it, with all its words ("Kapitel Bilag B"
# is not "Bilag B") and "8.1" in full, so that a number by chapter shows as a difference.
_WORD = r"(?:Figur|Figure|Tabel|Table|Infografik|Infographic|Kapitel|Chapter|Bilag|Appendix)"
PDF_NUMBER = re.compile(rf"\b({_WORD}(?:[ \u00a0]+{_WORD})*)[ \u00a0]+(\d+(?:\.\d+)*|[A-Z](?:\.\d+)*)\b"
                        # a numbered section ("8.3 Brede flertal …") at the start of a line: the
                        # book numbers chapters only (number-depth: 1)
                        r"|^(\d+(?:\.\d+)+)(?=[ \u00a0]+[A-ZÆØÅ])", re.M)
CAPTION_ID = re.compile(r"-caption-[0-9a-f-]{36}$")   # Quarto's ids of float captions


@dataclass
class Page:
    text: str = ""
    headings: list[str] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    links: set[str] = field(default_factory=set)
    floats: list[str] = field(default_factory=list)


class _Main(HTMLParser):
    def __init__(self, href: str) -> None:
        super().__init__(convert_charrefs=True)
        self.href = href
        self.depth = 0          # inside <main> when > 0
        self.skip = 0           # inside an element whose text is not content
        self.stack: list[tuple[str, bool]] = []
        self.heading: list[str] | None = None
        self.parts: list[str] = []
        self.page = Page()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main" and self.depth == 0:
            self.depth = 1
            self.stack = [("main", False)]
            return
        if self.depth == 0 or tag in VOID:
            return
        classes = set((a.get("class") or "").split())
        chrome = HOME_CHROME if self.href == "index.html" else CHROME
        skip = tag in SKIP or bool(classes & chrome) or a.get("aria-hidden") == "true"
        self.stack.append((tag, skip))
        self.skip += skip
        if self.skip:
            return
        if a.get("id") and ANCHOR.match(a["id"]) and not CAPTION_ID.search(a["id"]):
            self.page.anchors.append(a["id"])
        if a.get("data-claim"):
            self.page.claims.append(a["data-claim"])
        if tag == "a" and a.get("href"):
            link = _internal(self.href, a["href"])
            if link:
                self.page.links.add(link)
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = []
        if tag in ("p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption",
                   "caption", "section", "dt", "dd", "br"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if self.depth == 0 or tag in VOID:
            return
        while self.stack:
            name, skip = self.stack.pop()
            self.skip -= skip
            if name == "main" and not self.stack:
                self.depth = 0
                return
            if name == tag:
                break
        if re.fullmatch(r"h[1-6]", tag) and self.heading is not None:
            # "4 Title" whether the chapter number is set apart by a space (Quarto) or by CSS.
            text = re.sub(r"^(\d+)\s*", r"\1 ", _norm("".join(self.heading)))
            self.page.headings.append(f"{tag}: {text}")
            self.heading = None
        self.parts.append(" ")

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)
            if self.heading is not None:
                self.heading.append(data)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _internal(here: str, href: str) -> str | None:
    """An internal link as a path under the language's root (+ #fragment); None if external."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
        return None
    path, _, frag = href.partition("#")
    path = path.split("?", 1)[0]
    target = posixpath.normpath(posixpath.join(posixpath.dirname(here), path)) if path else here
    return target + (f"#{frag}" if frag else "")


def read_page(path: Path, href: str) -> Page:
    parser = _Main(href)
    parser.feed(path.read_text(encoding="utf-8"))
    page = parser.page
    page.text = _norm("".join(parser.parts))
    page.floats = [f"{m.group(1)} {m.group(2)}" for m in FLOAT_NUMBER.finditer(page.text)]
    return page


def pages(site: Path, lang: str) -> dict[str, Path]:
    root = site / lang
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*.html"))
            if "site_libs" not in p.parts and "pagefind" not in p.parts and p.name != "search.html"}


@dataclass
class Pair:
    lang: str
    href: str
    problems: dict[str, str]


def _first_diff(a: list[str] | str, b: list[str] | str) -> str:
    a_list, b_list = (a.split(" "), b.split(" ")) if isinstance(a, str) else (a, b)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a_list, b_list, autojunk=False).get_opcodes():
        if tag != "equal":
            ctx = " ".join(a_list[max(0, i1 - 4):i1])
            return (f"…{ctx} [embedded: {' '.join(a_list[i1:i2])[:160]!r} | quarto: "
                    f"{' '.join(b_list[j1:j2])[:160]!r}]")
    return ""


def compare(embedded: Path, quarto: Path, langs=LANGS) -> tuple[list[Pair], list[str]]:
    """Every page pair's problems, and the pages only one site has."""
    pairs, unpaired = [], []
    for lang in langs:
        mine, theirs = pages(embedded, lang), pages(quarto, lang)
        unpaired += [f"{lang}/{h}: embedded only" for h in mine if h not in theirs]
        unpaired += [f"{lang}/{h}: quarto only" for h in theirs if h not in mine]
        read = {href: (read_page(mine[href], href), read_page(theirs[href], href))
                for href in sorted(set(mine) & set(theirs))}
        # A link to a chapter's heading is a link to its page: Quarto writes the page, the
        # embedded renderer the page and its heading's id.
        titles = {h: a.anchors[0] for h, (a, _) in read.items() if a.anchors and a.anchors[0].startswith("sec-")}
        for a, b in read.values():
            for page in (a, b):
                page.links = {l.split("#")[0] if "#" in l and titles.get(l.split("#")[0]) == l.split("#")[1] else l
                              for l in page.links}
        for href, (a, b) in read.items():
            problems = {}
            for what in ("headings", "anchors", "claims", "floats"):
                if getattr(a, what) != getattr(b, what):
                    problems[what] = _first_diff(getattr(a, what), getattr(b, what))
            if a.links != b.links:
                problems["links"] = (f"embedded only: {sorted(a.links - b.links)[:5]}; "
                                     f"quarto only: {sorted(b.links - a.links)[:5]}")
            if a.text != b.text:
                problems["text"] = _first_diff(a.text, b.text)
            pairs.append(Pair(lang, href, problems))
    return pairs, unpaired


def downloads(embedded: Path, quarto: Path, langs=LANGS) -> list[str]:
    """The downloads both sites must carry alike (numbers.csv, codebook, each figure's files)."""
    problems = []
    for lang in langs:
        a_root, b_root = embedded / lang / "downloads", quarto / lang / "downloads"
        a = {str(p.relative_to(a_root)) for p in a_root.rglob("*") if p.is_file()}
        b = {str(p.relative_to(b_root)) for p in b_root.rglob("*") if p.is_file()} if b_root.exists() else set()
        problems += [f"{lang}/downloads/{f}: embedded only" for f in sorted(a - b)]
        problems += [f"{lang}/downloads/{f}: quarto only" for f in sorted(b - a)]
        problems += [f"{lang}/downloads/{f}: differs" for f in sorted(a & b)
                     if (a_root / f).read_bytes() != (b_root / f).read_bytes()]
    return problems


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order (poppler's pdftotext); pages end with a form feed."""
    if shutil.which("pdftotext") is None:
        raise RuntimeError("pdftotext (poppler-utils) is needed to compare the PDFs")
    proc = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{pdf}: pdftotext failed: {proc.stderr.strip()[:300]}")
    return proc.stdout


def pdf_numbers(text: str) -> list[str]:
    """Every "word number" of a float, chapter or appendix in the text, in order ("Figur 15"),
    and every numbered section ("section 8.3")."""
    return [f"section {m.group(3)}" if m.group(3) else re.sub(r"[ \u00a0]+", " ", f"{m.group(1)} {m.group(2)}")
            for m in PDF_NUMBER.finditer(text)]


@dataclass
class PdfPair:
    lang: str
    pages: tuple[int, int]          # embedded, quarto
    numbers: int                    # how many numbers the embedded PDF prints
    problem: str = ""


def compare_pdfs(embedded: Path, quarto: Path, langs=LANGS) -> list[PdfPair]:
    """Each language's two PDFs: page counts, and the first difference in their numbers."""
    out = []
    for lang in langs:
        found = [sorted((site / lang).glob("*.pdf")) for site in (embedded, quarto)]
        if any(len(f) != 1 for f in found):
            out.append(PdfPair(lang, (0, 0), 0, f"not one PDF in each {lang}/: {found}"))
            continue
        a_text, b_text = (pdf_text(f[0]) for f in found)
        a, b = pdf_numbers(a_text), pdf_numbers(b_text)
        problem = "" if a == b else f"numbers differ: {_first_diff(a, b)}"
        out.append(PdfPair(lang, (a_text.count("\f"), b_text.count("\f")), len(a), problem))
    return out


def report(pairs: list[Pair], unpaired: list[str], pdfs: list[PdfPair] | None = None) -> str:
    checks = ("text", "headings", "anchors", "floats", "claims", "links")
    lines = ["| page | " + " | ".join(checks) + " |", "|---|" + "---|" * len(checks)]
    for p in pairs:
        lines.append(f"| {p.lang}/{p.href} | " + " | ".join("differs" if c in p.problems else "same"
                                                           for c in checks) + " |")
    same = sum(not p.problems for p in pairs)
    out = [f"{len(pairs)} page pairs, {same} identical on every check; {len(unpaired)} pages or downloads "
           "without an equal twin.", ""]
    out += lines
    if unpaired:
        out += ["", "Pages and downloads without an equal twin:", ""] + [f"- {u}" for u in unpaired]
    details = [f"- {p.lang}/{p.href}, {c}: {p.problems[c]}" for p in pairs for c in checks if c in p.problems]
    if details:
        out += ["", "First difference of each check that differs:", ""] + details
    if pdfs:
        out += ["", "PDFs: the numbers printed with a word (\"Figur 15\", \"Bilag B\"), in order, and the pages.", "",
                "| PDF | numbers | pages (embedded / Quarto) |", "|---|---|---|"]
        out += [f"| {p.lang} | {p.problem or f'same ({p.numbers})'} | {p.pages[0]} / {p.pages[1]} |" for p in pdfs]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("embedded", type=Path)
    ap.add_argument("quarto", type=Path)
    ap.add_argument("--report", type=Path)
    args = ap.parse_args(argv)
    pairs, unpaired = compare(args.embedded, args.quarto)
    unpaired += downloads(args.embedded, args.quarto)
    pdfs = compare_pdfs(args.embedded, args.quarto)
    text = report(pairs, unpaired, pdfs)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0 if not unpaired and all(not p.problems for p in pairs) and not any(p.problem for p in pdfs) else 1


if __name__ == "__main__":
    sys.exit(main())
