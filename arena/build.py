"""`arena build`: render the bilingual book into _site/ (HTML site + one PDF per language).

With `quarto` on PATH (engine auto|quarto) this runs `quarto render --profile <lang>`; otherwise
the embedded renderer in arena/render/ does the same from PyPI packages. Either way the output is
built in a temporary directory next to _site/ and swapped in only when everything succeeded.

The no-op path (nothing changed) hashes the inputs and returns without importing anything heavy.
"""
from __future__ import annotations

import argparse
import json
import re
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from arena import interrupt
from arena.publish import publish, sweep
from arena.render.cache import Inputs, hash_text, load_json, save_json

LANGS = ("da", "en")
FORMATS = ("html", "pdf")


class BuildFailure(RuntimeError):
    """A readable, located error: printed as is, exit code 1, previous _site untouched."""


class Reporter:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self.rendered: list[tuple[str, str]] = []   # (language, what was done), for --explain
        self._lock = threading.Lock()
        self._console = None
        if not quiet:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)

    def step(self, name: str, seconds: float, detail: str = "") -> None:
        if interrupt.CANCEL.is_set():   # a stopped build prints one line, nothing more
            return
        with self._lock:
            self.timings[name] = self.timings.get(name, 0.0) + seconds
            if self._console:
                self._console.print(f"[green]✓[/] {name:<28} {seconds:6.2f} s  [dim]{detail}[/]", soft_wrap=True)

    def info(self, text: str) -> None:
        if self._console and not interrupt.CANCEL.is_set():
            with self._lock:
                self._console.print(text)

    def error(self, text: str) -> None:
        if self._console:
            self._console.print(f"[bold red]error:[/] {text}", markup=True, highlight=False, soft_wrap=True)
        else:
            print(f"error: {text}", file=sys.stderr)

    def summary(self, total: float) -> None:
        if not self._console:
            return
        from rich.table import Table

        table = Table(title="arena build: time per step", show_edge=False, pad_edge=False)
        table.add_column("step")
        table.add_column("seconds", justify="right")
        for name, sec in self.timings.items():
            table.add_row(name, f"{sec:.2f}")
        table.add_row("[bold]total[/]", f"[bold]{total:.2f}[/]")
        self._console.print(table)


class timer:
    def __init__(self, rep: Reporter, name: str, detail: str = "") -> None:
        self.rep, self.name, self.detail = rep, name, detail

    def __enter__(self) -> "timer":
        self.t = time.perf_counter()
        return self

    def __exit__(self, exc_type, *_: object) -> None:
        if exc_type is None:
            self.rep.step(self.name, time.perf_counter() - self.t, self.detail)


# ------------------------------------------------------------------------------------------
def main(args: argparse.Namespace) -> int:
    from arena.project import Project, ProjectError

    t0 = time.perf_counter()
    try:
        project = Project.find()
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    previous = interrupt.install()
    try:
        with _build_lock(project, bool(getattr(args, "no_wait", False))) as locked:
            if not locked:
                return 1
            removed = sweep(project.root, project.cache, project.artifacts)
            if removed and not getattr(args, "quiet", False):
                print(f"arena build: removed {len(removed)} leftover folder(s) of a build that was killed",
                      file=sys.stderr)
            return _main(args, project, t0)
    except interrupt.Interrupted as exc:
        _stopped(project, exc.signum or interrupt.signum())
    finally:
        interrupt.restore(previous)


PUBLISHED = threading.Event()   # set the moment the new _site is in place


class _build_lock:
    """One build at a time per project (.arena-cache/build.lock, an flock: a killed build's
    lock goes with its process). A second build waits, or with --no-wait gives up."""

    def __init__(self, project, no_wait: bool) -> None:
        from filelock import FileLock

        project.cache.mkdir(parents=True, exist_ok=True)
        self.path = project.show(project.cache / "build.lock")
        self.lock = FileLock(project.cache / "build.lock")
        self.no_wait = no_wait

    def __enter__(self) -> bool:
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            if self.no_wait:
                print(f"error: another build of this project is running ({self.path} is locked); "
                      "--no-wait: not waiting for it", file=sys.stderr)
                return False
            print(f"arena build: waiting for another build of this project to finish ({self.path})",
                  file=sys.stderr, flush=True)
            self.lock.acquire()
        return True

    def __exit__(self, *_: object) -> None:
        if self.lock.is_locked:
            self.lock.release()


def _stopped(project, num: int) -> None:
    """After SIGINT/SIGTERM: end the children and worker threads, remove this build's temporary
    folders, print one line, exit 128 + the signal number (never returns)."""
    import signal

    interrupt.cancel(num)
    deadline = time.monotonic() + 1.0     # workers notice within 0.2 s; Typst cannot be stopped
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join(max(0.0, deadline - time.monotonic()))
    sweep(project.root, project.cache, project.artifacts, mine=True)
    state = ("the new _site was already in place" if PUBLISHED.is_set() else "_site is unchanged")
    print(f"arena build: interrupted ({signal.Signals(num).name}); {state}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(128 + num)     # a thread inside Typst would otherwise hold the exit back


def _main(args: argparse.Namespace, project, t0: float) -> int:
    from arena.project import ProjectError
    from arena.steps import Graph, InputError

    root = project.root
    project.on_sys_path()
    langs = list(dict.fromkeys(args.lang or LANGS))
    formats = list(dict.fromkeys(getattr(args, "format", None) or FORMATS))
    quiet = bool(getattr(args, "quiet", False))
    no_cache = bool(getattr(args, "no_cache", False))
    explain = bool(getattr(args, "explain", False))
    engine = getattr(args, "engine", "auto") or "auto"

    quarto = shutil.which("quarto")
    if engine == "quarto" and not quarto:
        print("error: --engine quarto: `quarto` is not on PATH", file=sys.stderr)
        return 2
    try:
        graph = Graph(project)
        stale_steps = [n for n in STEP_ORDER if graph.decide(n).run or no_cache]
    except (InputError, ProjectError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if engine == "quarto" or (engine == "auto" and quarto):
        steps = Steps(graph, no_cache)
        steps.start()
        if not steps.wait_all():
            return 3 if steps.internal else 1
        return build_quarto(root, langs, formats, quiet, quarto)

    cache_dir = project.cache
    site = project.site
    stamps_file = cache_dir / "stamps.json"
    inputs = Inputs(root, env=graph.env)
    if not stale_steps:
        inputs.artifacts = graph.outputs_digest(RENDER_READS)
        keys = {f"{l}/{f}": inputs.build_key(l, f) for l in langs for f in formats}
        stamps = (load_json(stamps_file) or {}) if not no_cache else {}
        if stamps and all(stamps.get(k) == v for k, v in keys.items()) and _outputs_exist(site, root, langs, formats):
            if explain:
                print(graph.explain() + "\nkept render          up to date", file=sys.stderr)
            if not quiet:
                print(f"arena build: up to date ({time.perf_counter() - t0:.2f} s)", file=sys.stderr)
            return 0

    rep = Reporter(quiet)
    build_langs = langs
    if not stale_steps and not no_cache:
        # Only the languages whose own inputs changed; the others are carried over from _site.
        build_langs = [l for l in langs if any(stamps.get(f"{l}/{f}") != keys[f"{l}/{f}"] for f in formats)
                       or not _outputs_exist(site, root, [l], formats)] or langs
        if build_langs != langs:
            rep.info(f"up to date: {', '.join(l for l in langs if l not in build_langs)}")
    steps = Steps(graph, no_cache, rep)
    steps.start()
    try:
        _build_embedded(root, site, cache_dir, build_langs, formats, no_cache, rep, inputs, steps,
                        speculative=bool(stale_steps))
    except BuildFailure as exc:
        if steps.failed():     # bad data explains a failing chapter: say that, not the symptom
            return 3 if steps.internal else 1
        rep.error(str(exc))
        return 1
    inputs.artifacts = graph.outputs_digest(RENDER_READS)
    keys = {f"{l}/{f}": inputs.build_key(l, f) for l in langs for f in formats}
    stamps = load_json(stamps_file) or {}
    stamps.update(keys)
    save_json(stamps_file, stamps)
    if explain:
        print(graph.explain() + "\n" + "\n".join(f"ran  render          {l}: {why}" for l, why in rep.rendered),
              file=sys.stderr)
    rep.summary(time.perf_counter() - t0)
    return 0


STEP_ORDER = ("survey", "validation", "numbers", "figures", "reconciliation", "changes", "manifest")
RENDER_READS = ("survey", "validation", "numbers", "figures", "reconciliation", "changes")   # what chapters read


def _low_priority_child() -> None:
    """In the child before it runs: lower its priority, and let it die with the build (a killed
    build must not leave a validation writing artifacts behind it)."""
    import ctypes
    import signal

    os.nice(10)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass


class StepProcessFailed(Exception):
    """A step run in its own process failed on a bug; the message is what that process printed."""


class Steps:
    """The build's steps, run beside the renderer (arena/steps.py).

    The survey, numbers, figures and reconciliation steps (about two seconds) run first, while
    the kernels start; no chapter executes before their artifacts exist (`wait_artifacts`). The
    validation step (Great Expectations, several seconds) runs meanwhile in its own thread; a
    chapter that reads its artifact waits for it (`wait_validation`), and the new site is
    swapped in only if the data passed (`gate`).
    """

    def __init__(self, graph, no_cache: bool = False, rep: "Reporter | None" = None) -> None:
        self.graph, self.force, self.rep = graph, no_cache, rep
        self.error: BaseException | None = None
        self.validation_error: BaseException | None = None
        self.artifacts_ready = threading.Event()
        self.validation_done = threading.Event()
        self._reported = False
        self.internal = False      # a step failed on a bug, not on bad input (exit 3)

    def start(self) -> None:
        threading.Thread(target=self._main, name="steps", daemon=True).start()

    def _step(self, name: str) -> None:
        t = time.perf_counter()
        d = self.graph.run(name, force=self.force)
        if self.rep:
            self.rep.step(f"step {name}", time.perf_counter() - t, "ran" if d.run else "up to date")

    def _main(self) -> None:
        try:
            self._step("survey")
        except BaseException as exc:
            self.error = exc
            self.artifacts_ready.set()
            self.validation_done.set()
            return
        threading.Thread(target=self._validation, name="validation", daemon=True).start()
        try:
            for name in ("numbers", "figures", "reconciliation", "changes"):
                self._step(name)
        except BaseException as exc:
            self.error = exc
        finally:
            self.artifacts_ready.set()

    def _validation(self) -> None:
        try:
            t = time.perf_counter()
            from arena.steps import Decision

            ran = self.graph.decide("validation").run or self.force
            if ran and self.force:   # what --explain says (the child keeps its own record)
                self.graph.decisions["validation"] = Decision("validation", True, ["forced"])
            if ran:
                self._validation_process()
            if self.rep:
                self.rep.step("step validation", time.perf_counter() - t, "ran" if ran else "up to date")
        except BaseException as exc:
            self.validation_error = exc
        finally:
            self.validation_done.set()

    def _validation_process(self) -> None:
        """Great Expectations in a process of its own, at low priority: it is pure Python (several
        seconds), so in a thread it would hold the GIL the steps and the pages need, and it only
        has to be done before the new site is swapped in (`gate`)."""
        import arena

        # -P and PYTHONPATH: the child runs this very `arena` package, wherever it was imported from.
        cmd = [sys.executable, "-P", "-m", "arena.steps", "--step", "validation", *(["--force"] if self.force else [])]
        if os.environ.get("ARENA_DEBUG", "") not in ("", "0"):
            cmd.append("--debug")
        here = str(Path(arena.__file__).resolve().parent.parent)
        env = {**os.environ, "ARENA_ROOT": str(self.graph.project.root),
               "PYTHONPATH": os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH"))))}
        done = interrupt.run(cmd, capture_output=True, env=env, cwd=self.graph.project.root,
                             preexec_fn=_low_priority_child)
        text = (done.stderr or b"").decode("utf-8", errors="replace").strip()
        if done.returncode == 1:
            from arena.steps import InputError

            raise InputError(text.removeprefix("error: "))
        if done.returncode != 0:
            raise StepProcessFailed(text or f"the validation step ended with exit code {done.returncode}")

    def wait_artifacts(self) -> None:
        self.artifacts_ready.wait()
        if self.error is not None:
            self.failed()
            raise BuildFailure("the build's steps did not finish (see above)")

    def wait_validation(self) -> None:
        self.validation_done.wait()
        if self.failed():
            raise BuildFailure("the data did not pass validation (see above)")

    def wait_all(self) -> bool:
        self.artifacts_ready.wait()
        self.validation_done.wait()
        if self.failed():
            return False
        self.graph.run("manifest", force=self.force)
        return True

    def failed(self) -> bool:
        """True (and the problems printed, once) if a step failed or the data is not valid."""
        from arena.steps import InputError

        if interrupt.CANCEL.is_set():   # stopped, not failed: nothing to explain
            return True
        problems: list[str] = []
        error = self.error or self.validation_error
        if error is not None and not isinstance(error, InputError) and self.error is error:
            # A step that computes on invalid data can fail before validation has finished:
            # then the data explains the failure, and its problems are what the author needs.
            self.validation_done.wait()
            if self.validation_error is None and not self._validation_ok():
                error = None
        if error is not None:
            if isinstance(error, InputError):
                problems.append(f"error: {error}")
            elif isinstance(error, StepProcessFailed):   # its process said it already, in one line
                self.internal = True
                problems.append(str(error))
            else:
                from arena.errors import internal_error

                self.internal = True
                problems.append(internal_error(error, os.environ.get("ARENA_DEBUG", "") not in ("", "0")))
        if error is None and self.validation_done.is_set():
            result = json.loads((self.graph.folder("validation") / "validation.json").read_text(encoding="utf-8"))
            if not result["ok"]:
                problems += result["problems"]
                problems.append(f"{result['raw']}: validation FAILED ({len(result['problems'])} problem(s)); "
                                "nothing was built")
        if problems and not self._reported:
            self._reported = True
            for line in problems:
                print(line, file=sys.stderr)
        return bool(problems)

    def _validation_ok(self) -> bool:
        path = self.graph.folder("validation") / "validation.json"
        return json.loads(path.read_text(encoding="utf-8"))["ok"] if path.exists() else False

    def gate(self) -> None:
        if not self.wait_all():
            raise BuildFailure("the data did not pass validation (see above)")


def _outputs_exist(site: Path, root: Path, langs: list[str], formats: list[str]) -> bool:
    if not (site / "index.html").exists():
        return False
    for lang in langs:
        if "html" in formats and not (site / lang / "index.html").exists():
            return False
        if "pdf" in formats and not list((site / lang).glob("*.pdf")):
            return False
    return True


# ------------------------------------------------------------------------------------------
def _build_embedded(root: Path, site: Path, cache_dir: Path, langs: list[str], formats: list[str],
                    no_cache: bool, rep: Reporter, inputs: Inputs, steps: Steps, speculative: bool) -> None:
    import tempfile

    cache_dir.mkdir(parents=True, exist_ok=True)
    # Named by our pid: a later build removes them if this process was killed (arena/publish.py).
    tmp = Path(tempfile.mkdtemp(prefix=f"._site.building-{os.getpid()}-", dir=root))
    work = Path(tempfile.mkdtemp(prefix=f"work-{os.getpid()}-", dir=cache_dir))
    try:
        if "html" in formats:   # ~3 s the first time: overlap it with kernel start-up
            from arena.render import vendor

            threading.Thread(target=vendor.vega_bundle, args=(cache_dir,), daemon=True).start()
        with timer(rep, "prepare output"):
            _carry_over(site, tmp, langs, formats)
        errors: list[BaseException] = []

        def run(lang: str) -> None:
            try:
                _build_language(root, lang, formats, tmp, work / lang, cache_dir, no_cache, rep, inputs,
                                steps, speculative)
            except interrupt.Interrupted:   # the build is being stopped: the main thread reports
                if threading.current_thread() is threading.main_thread():
                    raise
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        # Languages run in parallel (one kernel each); ARENA_BUILD_JOBS=1 runs them in turn.
        if len(langs) > 1 and os.environ.get("ARENA_BUILD_JOBS", "2") != "1":
            threads = [threading.Thread(target=run, args=(lang,)) for lang in langs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for lang in langs:
                run(lang)
                if errors:
                    break
        if errors:
            failures = [e for e in errors if isinstance(e, BuildFailure)]
            raise failures[0] if failures else errors[0]
        from arena.render import vendor

        vendor.write_root_index(tmp)
        with timer(rep, "wait for validation"):
            steps.gate()
        interrupt.pause("swap")
        with timer(rep, "swap _site"):
            publish(tmp, site, PUBLISHED.set)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def _carry_over(site: Path, tmp: Path, langs: list[str], formats: list[str]) -> None:
    """Keep what this build does not remake (other language, other format) from the old _site."""
    if not site.is_dir():
        return
    for child in site.iterdir():
        if child.name in LANGS and child.is_dir():
            if child.name not in langs:
                shutil.copytree(child, tmp / child.name, copy_function=_link_or_copy)
                continue
            for item in child.rglob("*"):
                if item.is_dir():
                    continue
                is_pdf = item.suffix == ".pdf"
                if ("pdf" in formats and is_pdf) or ("html" in formats and not is_pdf):
                    continue
                dest = tmp / item.relative_to(site)
                dest.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(item, dest)


def _link_or_copy(src, dst) -> None:
    """A hard link where the file system allows it (a published file is never written again,
    only replaced by the next build's), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# ------------------------------------------------------------------------------------------
def book_index(proj, chapters, docs) -> tuple[list, dict[str, dict]]:
    """The book's pages (numbered chapters) and its cross-reference index (sections and floats
    numbered through the book per kind), as Quarto numbers them. Also the real-Quarto
    post-render step's source for numbers.csv (arena/render/quarto_post.py)."""
    from arena.render import assemble
    from arena.render.html import Page

    pages: list[Page] = []
    n = apx = 0
    for ch, doc in zip(chapters, docs):
        unnumbered = ch.index == 0 or doc.unnumbered
        number = ""
        if not unnumbered and ch.appendix:   # Quarto letters the appendices A, B, … from A again
            apx += 1
            number = chr(64 + apx)
        elif not unnumbered:
            n += 1
            number = str(n)
        href = "index.html" if ch.path == "index.qmd" else ch.html_path
        title_id = (doc.title_attrs.split("#", 1)[1].split()[0] if "#" in doc.title_attrs else f"chapter-{ch.index}")
        pages.append(Page(ch.path, href, doc.title or Path(ch.path).stem, number, title_id,
                          appendix=ch.appendix, apx_word=proj.words["apx"]))
    refs: dict[str, dict] = {}
    counters: dict[str, int] = {}
    for page, doc in zip(pages, docs):
        if page.title_id.startswith("sec-"):
            refs[page.title_id] = {"kind": "sec", "number": page.number, "title": page.title,
                                   "page": page.href, "anchor": page.title_id, "appendix": page.appendix}
        for kind, fid in assemble.float_ids(doc, proj.float_kinds):
            if fid in refs:
                raise ValueError(f"{doc.path}: duplicate cross-reference label {fid}")
            counters[kind] = counters.get(kind, 0) + 1
            refs[fid] = {"kind": kind, "number": str(counters[kind]), "page": page.href, "anchor": fid}
    return pages, refs


def _build_language(root: Path, lang: str, formats: list[str], out_root: Path, work: Path,
                    cache_dir: Path, no_cache: bool, rep: Reporter, inputs: Inputs,
                    steps: Steps, speculative: bool) -> None:
    from arena.render import assemble, config, qmd
    from arena.render.cache import save_json as _save
    from arena.render.execute import ExecError, Kernel
    from arena.render.html import Page, PandocError, PandocJob, convert, float_captions, page_html, rel, split_page
    from arena.render.pdf import TypstFailure, build_pdf
    from arena.render import vendor

    other = "en" if lang == "da" else "da"
    try:
        proj = config.load(root, lang)
        other_proj = config.load(root, other)
        proj.float_kinds   # checks the profile's custom cross-reference kinds now, not mid-render
    except Exception as exc:
        raise BuildFailure(f"project config for profile {lang!r}: {exc}") from None
    chapters = proj.chapters()
    other_chapters = other_proj.chapters()

    # 1. parse ---------------------------------------------------------------------------
    t = time.perf_counter()
    docs = []
    texts = []
    for ch in chapters:
        path = root / ch.path
        if not path.exists():
            raise BuildFailure(f"{ch.path}: listed in book.chapters (_quarto-{lang}.yml) but missing")
        text = path.read_text(encoding="utf-8")
        try:
            docs.append(qmd.parse(text, ch.path, lang))
        except qmd.QmdError as exc:
            raise BuildFailure(str(exc)) from None
        texts.append(text)
    rep.step(f"{lang}: parse", time.perf_counter() - t, f"{len(docs)} files")

    # 2. execute (cached per chapter) -----------------------------------------------------
    # A chapter's outputs depend on its code and on the artifacts it reads, which the steps may
    # still be making: when a step runs, the kernel starts meanwhile (it is almost surely needed).
    exec_dir = cache_dir / "exec" / lang
    kernel = None
    t = time.perf_counter()
    try:
        if speculative:
            kernel = Kernel(root, lang, lang).__enter__()
        steps.wait_artifacts()
        results: list[dict | None] = []
        todo = []
        for i, doc in enumerate(docs):
            key = inputs.execution_key(lang, doc.code(), steps.graph)
            hit = None if no_cache else load_json(exec_dir / f"{key}.json")
            results.append(hit)
            if hit is None:
                todo.append((i, key))
        if todo:
            if kernel is None:
                kernel = Kernel(root, lang, lang).__enter__()
            rep.step(f"{lang}: kernel start", time.perf_counter() - t)
            rep.rendered.append((lang, f"{len(todo)} chapter(s) executed"))
            for i, key in todo:
                tc = time.perf_counter()
                if "validation()" in docs[i].code():   # the validation appendix reads its artifact
                    steps.wait_validation()
                    key = inputs.execution_key(lang, docs[i].code(), steps.graph)
                interrupt.pause("execute")
                results[i] = kernel.run_chapter(docs[i])
                _save(exec_dir / f"{key}.json", results[i])
                rep.step(f"{lang}: execute {Path(docs[i].path).name}", time.perf_counter() - tc)
        else:
            rep.rendered.append((lang, "pages remade, no chapter executed"))
            rep.step(f"{lang}: execute", 0.0, "all chapters from cache")
    except ExecError as exc:
        raise BuildFailure(_describe(exc, texts[[d.path for d in docs].index(exc.path)])) from None
    finally:
        if kernel is not None:
            kernel.__exit__(None, None, None)
    keep = {f"{inputs.execution_key(lang, d.code(), steps.graph)}.json" for d in docs}
    for f in exec_dir.glob("*.json"):
        if f.name not in keep:
            f.unlink(missing_ok=True)

    interrupt.check()

    # 3. pages, numbering, cross-reference index -----------------------------------------
    try:
        pages, refs = book_index(proj, chapters, docs)
    except ValueError as exc:
        raise BuildFailure(str(exc)) from None
    work.mkdir(parents=True, exist_ok=True)

    def xref_for(page: Page | None) -> dict:
        """The index as one document sees it: links relative to its page (PDF: in-document)."""
        data = {"words": proj.words, "floats": list(proj.float_kinds), "refs": {}}
        for rid, r in refs.items():
            href = "#" + r["anchor"] if page is None else (
                ("#" + r["anchor"]) if r["page"] == page.href else rel(page.href, r["page"]) + "#" + r["anchor"])
            data["refs"][rid] = {**r, "href": href}
        return data

    defaults = {"echo": False, **(proj.config.get("execute") or {})}
    out_dir = out_root / lang
    pdf_name = f"{proj.output_file}.pdf"
    from arena.publication import Publication

    settings = proj.config.get("arena") or {}
    publication = Publication.from_config(lang, proj.book, settings,
                                          int((settings.get("edition") or {}).get("number", 1)), pdf_name)

    # 4. Pandoc: every HTML page and every Typst chapter in one process -------------------
    t = time.perf_counter()
    jobs: list[PandocJob] = []
    pdf_xref = xref_for(None)
    typst_title = {page.src: f"# {page.title} {{#{page.title_id}{' .unnumbered' if not page.number else ''}}}"
                   for page in pages}
    first_apx = next((p for p in pages if p.appendix), None)
    if first_apx:   # book.typ's part heading, then letters for the headings from here on
        typst_title[first_apx.src] = "```{=typst}\n#show: arena-appendices\n```\n\n" + typst_title[first_apx.src]
    for page, doc, res in zip(pages, docs, results):
        if len(formats) == 2:   # one markdown for both: Pandoc parses each chapter once (batch.lua)
            md = assemble.chapter_markdown_both(doc, res, defaults, typst_title[page.src],
                                                figdir=work / "fig", figprefix="fig/")
            html_md = typst_md = md
        else:
            html_md = assemble.chapter_markdown(doc, res, "html", defaults)
            typst_md = typst_title[page.src] + "\n\n" + assemble.chapter_markdown(
                doc, res, "typst", defaults, figdir=work / "fig", figprefix="fig/")
        if "html" in formats:
            jobs.append(PandocJob(doc.path, html_md, "html5", xref_for(page)))
        if "pdf" in formats:
            jobs.append(PandocJob(doc.path, typst_md, "typst", pdf_xref))
    try:
        converted = convert(jobs, work, None if no_cache else cache_dir / "pandoc" / lang)
    except PandocError as exc:
        raise BuildFailure(str(exc)) from None
    per_page = len(formats)     # jobs are per page: [html][, typst]
    html_out = converted[0::per_page] if "html" in formats else []
    typst_out = converted[per_page - 1::per_page] if "pdf" in formats else []
    rep.step(f"{lang}: pandoc", time.perf_counter() - t, f"{converted.fresh} of {len(jobs)} documents converted")

    interrupt.check()

    # 6. PDF, started first: Typst releases the GIL, so it compiles on the other core while
    # the HTML pages are written (the thread's failure is raised after them).
    pdf_thread, pdf_error = None, []
    if "pdf" in formats:
        def make_pdf() -> None:
            t = time.perf_counter()
            try:
                build_pdf(lang=lang, words=proj.words, book=proj.book, chapters_typst=typst_out,
                          workdir=work, out_pdf=out_dir / pdf_name, publication=publication)
            except TypstFailure as exc:
                pdf_error.append(BuildFailure(str(exc)))
                return
            except BaseException as exc:    # re-raised in this language's thread below
                pdf_error.append(exc)
                return
            rep.step(f"{lang}: pdf", time.perf_counter() - t, pdf_name)

        pdf_thread = threading.Thread(target=make_pdf, name=f"pdf-{lang}", daemon=True)
        pdf_thread.start()

    # 5. HTML pages ---------------------------------------------------------------------
    if "html" in formats:
        t = time.perf_counter()
        any_chart = False
        # Each number in the text opens its provenance (arena/render/claims.py).
        from arena.render import claims as claims_mod

        # The popovers' data and the registry downloads depend on the artifacts, the code, the
        # configuration and the cross-references, not on the prose: kept between builds by that key.
        products_key = hash_text("products-v2", lang, inputs.artifacts, inputs.group("analysis"),
                                 inputs.group("code"), inputs.group("exec_code"), inputs.group("config"),
                                 inputs.env, json.dumps(refs, sort_keys=True))
        products_file = cache_dir / "products" / f"{lang}.json"
        products = None if no_cache else load_json(products_file)
        if not products or products.get("key") != products_key:
            numbers_art, populations, files = downloads(root, lang, refs)
            products = {"key": products_key, "files": files,
                        "claims": claims_mod.details(numbers_art, lang, populations, refs)}
            _save(products_file, products)
        (out_dir / "downloads").mkdir(parents=True, exist_ok=True)
        for name, text in products["files"].items():
            (out_dir / "downloads" / name).write_text(text, encoding="utf-8")
        claim_details = products["claims"]
        reconciliation_href = next((r["page"] for rid, r in refs.items() if rid == "sec-bilag-afstemning"), "")
        _write_figure_files(results, out_dir / "downloads" / "figures")
        captions = float_captions([split_page(o)[1] for o in html_out])   # for the hover previews
        for i, (page, output) in enumerate(zip(pages, html_out)):
            interrupt.check()
            toc, body = split_page(output)
            has_chart = 'class="arena-chart"' in body
            any_chart |= has_chart
            if i < len(other_chapters):
                oc = other_chapters[i]
                other_target = "index.html" if oc.path == "index.qmd" else oc.html_path
            else:
                other_target = "index.html"
            other_href = f"{'../' * page.href.count('/')}../{other}/{other_target}"
            text = page_html(lang=lang, other_lang=other, words=proj.words, other_words=config.WORDS[other],
                             book_title=str(proj.book.get("title", "ARENA")), page=page, pages=pages,
                             other_href=other_href, pdf_name=pdf_name,
                             toc=toc, body=body, has_chart=has_chart, publication=publication,
                             claims=claim_details, reconciliation_href=reconciliation_href,
                             captions=captions)
            dest = out_dir / page.href
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
        vendor.install_assets(out_dir, cache_dir, vega=any_chart)
        write_cite_files(out_dir, lang, publication)
        vendor.search_index(out_dir, lang)   # Pagefind: the language's offline search index
        rep.step(f"{lang}: html", time.perf_counter() - t, f"{len(pages)} pages")

    if pdf_thread is not None:
        while pdf_thread.is_alive():     # joined in slices: the build can be stopped meanwhile
            pdf_thread.join(0.1)
            interrupt.check()
        if pdf_error:
            raise pdf_error[0]
    interrupt.check()


def downloads(root: Path, lang: str, refs: dict) -> tuple[dict, dict, dict[str, str]]:
    """The language's downloads made from the artifacts (codebook, data dictionary, every number
    with its figure or table number from `refs`), by file name. Returns the numbers artifact and
    the populations too, which the pages' popovers use."""
    from arena.render import claims as claims_mod

    numbers_art = json.loads((root / "build" / "artifacts" / "numbers" / "numbers.json").read_text(encoding="utf-8"))
    codebook_art = __import__("analysis.codebook", fromlist=["load"]).load(
        root / "build" / "artifacts" / "survey" / "codebook.yaml")
    populations = {re.sub(r"\s+", " ", p.query.strip()): getattr(p, lang) for p in codebook_art.populations.values()}
    book_csv, dictionary_csv = claims_mod.codebook_csvs(codebook_art, lang)
    files = {"codebook.csv": book_csv, "data-dictionary.csv": dictionary_csv,
             "numbers.csv": claims_mod.numbers_csv(numbers_art, lang, populations, refs)}
    return numbers_art, populations, files


def write_cite_files(out_dir: Path, lang: str, publication) -> None:
    """How to cite this edition, as files for reference software (linked from the front page)."""
    (out_dir / "cite").mkdir(parents=True, exist_ok=True)
    (out_dir / "cite" / f"arena-{lang}.bib").write_text(publication.bibtex(), encoding="utf-8")
    (out_dir / "cite" / f"arena-{lang}.json").write_text(publication.csl_json_text(), encoding="utf-8")


def _write_figure_files(results: list[dict], folder: Path) -> None:
    """Each figure's downloads (CSV for the locale, its metadata, SVG, Vega-Lite spec), as the
    chapter made them (analysis.display.Figure.FILES_MIME in the cell's output)."""
    from analysis.display import Figure

    for result in results:
        for outputs in (result or {}).get("cells", {}).values():
            for out in outputs:
                files = (out.get("data") or {}).get(Figure.FILES_MIME)
                if not files:
                    continue
                write_figure_files(files, folder)


def write_figure_files(payload: dict, folder: Path) -> None:
    """One figure's downloads (Figure.FILES_MIME's payload: its base name and each file's text by
    suffix) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, text in payload["files"].items():
        (folder / (payload["base"] + suffix)).write_text(text, encoding="utf-8")


def _describe(exc, text: str) -> str:
    """Error with the offending .qmd line and the chapter-level part of the traceback."""
    lines = text.split("\n")
    src = lines[exc.line - 1] if 0 < exc.line <= len(lines) else ""
    tb = exc.tb.strip().splitlines()
    cell_at = max((i for i, l in enumerate(tb) if "Cell In[" in l), default=None)
    excerpt = tb[cell_at:cell_at + 6] if cell_at is not None else []
    if tb and (not excerpt or excerpt[-1] != tb[-1]):
        excerpt += ["   ...", tb[-1]] if len(tb) > (cell_at or 0) + 6 else [tb[-1]]
    return (f"{exc}\n  --> {exc.path}:{exc.line}\n  {exc.line:>4} | {src}\n"
            + "\n".join("  " + l for l in excerpt))


# ------------------------------------------------------------------------------------------
def quarto_env(lang: str, root: Path) -> dict[str, str]:
    """Quarto runs the project's own Python: its Jupyter engine (QUARTO_PYTHON, which needs
    nbformat and nbclient), the kernel (the `python3` kernelspec installed by ipykernel beside
    this interpreter, found first through JUPYTER_PATH, ahead of a user's own) and the
    pre-/post-render commands (`python -m ...`: this interpreter's folder first on PATH)."""
    prefix = Path(sys.prefix)
    env = dict(os.environ, ARENA_LANG=lang, QUARTO_PYTHON=sys.executable,
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    kernels = prefix / "share" / "jupyter"
    if not (kernels / "kernels" / "python3" / "kernel.json").exists():
        # No kernelspec beside this interpreter: register one in the project's cache.
        kernels = root / ".arena-cache" / "jupyter" / "share" / "jupyter"
        if not (kernels / "kernels" / "python3" / "kernel.json").exists():
            interrupt.run([sys.executable, "-m", "ipykernel", "install", "--prefix",
                           str(root / ".arena-cache" / "jupyter"), "--name", "python3"],
                          capture_output=True, text=True)
    if (kernels / "kernels" / "python3" / "kernel.json").exists():
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in [str(kernels), os.environ.get("JUPYTER_PATH", "")] if p)
    return env


def build_quarto(root: Path, langs: list[str], formats: list[str], quiet: bool, quarto: str) -> int:
    """Real Quarto: `quarto render --profile <lang>` into a temporary output dir, then swap."""
    import tempfile

    from arena.render import vendor

    site = root / "_site"
    tmp = Path(tempfile.mkdtemp(prefix=f"._site.building-{os.getpid()}-", dir=root))
    try:
        _carry_over(site, tmp, langs, formats)
        for lang in langs:
            out = tmp / lang
            cmd = [quarto, "render", "--profile", lang, "--output-dir", str(out)]
            if set(formats) != set(FORMATS):
                cmd += ["--to", "html" if formats == ["html"] else "typst"]
            if quiet:
                cmd.append("--quiet")
            t = time.perf_counter()
            proc = interrupt.run(cmd, cwd=root, env=quarto_env(lang, root))
            if proc.returncode != 0:
                print(f"error: quarto render --profile {lang} failed ({proc.returncode})", file=sys.stderr)
                return 1
            if not quiet:
                print(f"✓ quarto render --profile {lang}  {time.perf_counter() - t:.2f} s", file=sys.stderr)
        vendor.write_root_index(tmp)
        publish(tmp, site, PUBLISHED.set)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0
