"""Reconstruct respondent-level answers that reproduce every published number.

The ARENA survey's respondent rows are not public. What the report prints (and the assumptions
we record where it prints nothing) pins them down closely, so we generate a respondent file
that reproduces every published and assumed number after half-up rounding.

How: variables are generated one at a time, in an order where everything a variable's filter
or claims refer to already exists. For variable V, every respondent is put in an *atom*: the
set of respondents that every claim about V treats alike (same answers to the other variables
the claims mention, same filter status). An integer programme (scipy's HiGHS) then chooses how
many respondents of each atom give each answer code, so that each claim's percentage rounds
to its printed value; among the feasible solutions it picks the one that spreads every code
over the atoms as evenly as possible (no association is invented that no claim asks for).
Finally the codes are dealt out to the respondents of each atom with a seeded shuffle.

Deterministic: same codebook + same claims → byte-identical CSV.
"""
from __future__ import annotations

import hashlib
import io
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import LinearConstraint, milp, Bounds

from analysis import claims as claims_mod
from analysis import codebook as codebook_mod
from analysis.codebook import Codebook

# Half-up rounding of a percentage with d decimals: shown value v means
# v - h <= 100 * num / den < v + h, with h = 0.5 / 10**d. The strict upper bound is met with
# a margin: 100*num - (v + h)*den is a multiple of 0.05 for integer counts, so 0.01 excludes
# exactly the boundary and nothing else (and stays far above the solver's tolerance).
_EPS = 0.01
HARD_STATUSES = ("published", "assumption")
# A difference the report states in words only ("more often", unit diff_gt) is reconstructed as
# at least this many percentage points: an assumption, documented in data/raw/README.md.
DIFF_MARGIN = 5.0
LINEAR_UNITS = ("pct", "pct1", "range", "count", "diff_gt")


class ReconstructionError(RuntimeError):
    pass


@dataclass
class Target:
    claim_id: str
    unit: str
    population: str
    numerator: str
    group: str
    value: float
    lo: float
    hi: float
    source: str

    @property
    def names(self) -> set[str]:
        return (claims_mod.names_in(self.population) | claims_mod.names_in(self.numerator)
                | claims_mod.names_in(self.group))


def _num(value) -> float:
    text = str(value).strip()
    return float(text) if text not in ("", "nan") else float("nan")


def _targets(published: pd.DataFrame) -> list[Target]:
    out = []
    for row in published.itertuples(index=False):
        if row.status not in HARD_STATUSES or row.unit not in LINEAR_UNITS:
            continue
        out.append(Target(
            claim_id=row.claim_id, unit=row.unit, population=row.population,
            numerator=row.numerator, group=row.group,
            value=_num(row.value), lo=_num(row.lo), hi=_num(row.hi), source=row.source,
        ))
    return out


def generation_order(cb: Codebook, targets: list[Target] = ()) -> list[str]:
    """An order in which every variable comes after what it depends on.

    A variable comes after the variables of its filter and (in a multiple-response question)
    after the exclusive options. A claim such as "55 % of those who agree with X agree with Y"
    puts X before Y, so that Y can be solved *given* X: the outcome is generated last. Edges
    that would close a cycle are ignored; ties keep the codebook order.
    """
    ids = list(cb.variables)
    rank = {v: i for i, v in enumerate(ids)}
    after: dict[str, set[str]] = {v: set() for v in ids}  # v -> variables that must come before v

    def reaches(src: str, dst: str) -> bool:
        stack, seen = [src], set()
        while stack:
            cur = stack.pop()
            if cur == dst:
                return True
            if cur not in seen:
                seen.add(cur)
                stack.extend(after[cur])
        return False

    def add(before: str, later: str, hard: bool) -> None:
        if before == later or before in after[later]:
            return
        if reaches(before, later):  # `later` already comes before `before`
            if hard:
                raise ReconstructionError(f"codebook: circular filter between {before!r} and {later!r}")
            return
        after[later].add(before)

    for vid, var in cb.variables.items():
        deps = claims_mod.names_in(cb.populations[var.population].query)
        for hidden in var.hidden_codes:
            deps |= claims_mod.names_in(hidden.get("query", ""))
        if var.question_group and not var.exclusive:
            deps |= {v.id for v in cb.group(var.question_group) if v.exclusive}
        for dep in deps & set(ids):
            add(dep, vid, hard=True)
    for t in targets:
        outcome = claims_mod.names_in(t.numerator) & set(ids)
        given = (claims_mod.names_in(t.population) | claims_mod.names_in(t.group)) & set(ids)
        for g in sorted(given - outcome, key=rank.get):
            for o in sorted(outcome, key=rank.get):
                add(g, o, hard=False)

    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(ids):
        ready = [v for v in ids if v not in placed and after[v] <= placed]
        nxt = min(ready, key=rank.get)
        order.append(nxt)
        placed.add(nxt)
    return order


def _seed(variable: str) -> int:
    return int.from_bytes(hashlib.sha256(f"arena:{variable}".encode()).digest()[:8], "little")


class _Problem:
    """The integer programme for one variable."""

    def __init__(self, df: pd.DataFrame, cb: Codebook, vid: str, targets: list[Target]):
        self.vid = vid
        var = cb.variables[vid]
        scale = cb.scales[var.scale]
        # The reconstruction never invents item non-response.
        self.codes = [c.code for c in scale.codes if c.kind != "no_answer"]
        self.asked = claims_mod.mask(df, cb.populations[var.population].query)
        forced_zero = np.zeros(len(df), dtype=bool)
        if var.question_group:
            # Someone who chose "don't know"/"none" chose no other option (exclusive ones included).
            for other in cb.group(var.question_group):
                if other.exclusive and other.id != vid:
                    forced_zero |= df[other.id].to_numpy() == 1
        hidden = [(claims_mod.mask(df, h.get("query", "")), set(h["codes"])) for h in var.hidden_codes]

        rows = np.flatnonzero(self.asked)
        self.rows = rows
        self.targets = targets
        k = len(self.codes)
        # Evaluate every claim once per candidate code, with V set to that code for the asked rows.
        pop_bits, num_bits, grp_bits = [], [], []
        self.const = []  # contributions of rows outside the population of V (their V is empty)
        outside = ~self.asked
        for t in targets:
            pop = self._per_code(df, t.population)
            num = pop & self._per_code(df, t.numerator)
            grp = self._per_code(df, t.group) if t.group else np.ones_like(pop)
            c_pop, c_num, c_grp = pop[:, 0], num[:, 0], grp[:, 0]
            self.const.append((
                int((c_pop & outside).sum()), int((c_num & outside).sum()),
                int((c_pop & c_grp & outside).sum()), int((c_num & c_grp & outside).sum()),
                int((c_pop & ~c_grp & outside).sum()), int((c_num & ~c_grp & outside).sum()),
            ))
            pop_bits.append(pop[rows])
            num_bits.append(num[rows])
            grp_bits.append(grp[rows])

        # Atoms: asked respondents that every claim, the council type and the activity status
        # treat alike (the last two so that codes are spread evenly across them).
        sig_cols = [df["council"].fillna(-1).to_numpy()[rows]] if "council" in df else []
        if "active" in df and vid != "active":
            sig_cols.append(df["active"].fillna(-1).to_numpy()[rows])
        sig_cols.append(forced_zero[rows].astype(int))
        for m, _ in hidden:
            sig_cols.append(m[rows].astype(int))
        parts = [np.column_stack(sig_cols)] if sig_cols else []
        for b in pop_bits + num_bits + grp_bits:
            parts.append(b.astype(int))
        sig = np.column_stack(parts) if parts else np.zeros((len(rows), 1))
        _, first, inverse, sizes = np.unique(sig, axis=0, return_index=True, return_inverse=True, return_counts=True)
        # np.unique sorts signatures; order atoms by first respondent for stable, readable output.
        order = np.argsort(first)
        remap = np.empty_like(order)
        remap[order] = np.arange(len(order))
        self.atom_of_row = remap[inverse.ravel()]
        self.atom_size = sizes[order]
        self.atom_first = rows[first[order]]
        n_atoms = len(self.atom_size)
        self.n_x = n_atoms * k
        # Allowed (atom, code) pairs.
        ub = np.full(self.n_x, np.inf)
        for a in range(n_atoms):
            r = self.atom_first[a]
            for j, code in enumerate(self.codes):
                if forced_zero[r] and code != 0:
                    ub[a * k + j] = 0
                for m, codes in hidden:
                    if m[r] and code in codes:
                        ub[a * k + j] = 0
        self.ub = ub
        # Per claim, coefficient vectors over x for the numerator / denominator (and per group).
        first_idx = first[order]
        self.coef = []
        for i, t in enumerate(targets):
            pop = pop_bits[i][first_idx].astype(float).ravel()
            num = num_bits[i][first_idx].astype(float).ravel()
            grp = grp_bits[i][first_idx].astype(float).ravel()
            self.coef.append((pop, num, grp))

    def _per_code(self, df: pd.DataFrame, query: str) -> np.ndarray:
        """query evaluated with V set to each candidate code (for the asked rows): (rows, codes)."""
        names = claims_mod.names_in(query)
        k = len(self.codes)
        if self.vid not in names:
            return np.repeat(claims_mod.mask(df, query)[:, None], k, axis=1)
        out = np.empty((len(df), k), dtype=bool)
        if names == {self.vid}:
            # Depends on V alone: one tiny evaluation per code instead of one over all rows.
            for j, code in enumerate(self.codes):
                hit = bool(claims_mod.mask(pd.DataFrame({self.vid: [float(code)]}), query)[0])
                miss = bool(claims_mod.mask(pd.DataFrame({self.vid: [np.nan]}), query)[0])
                out[:, j] = np.where(self.asked, hit, miss)
            return out
        work = df.copy()
        for j, code in enumerate(self.codes):
            work.loc[self.asked, self.vid] = code
            out[:, j] = claims_mod.mask(work, query)
        return out

    def _claim_rows(self, i: int):
        """Linear constraints (A, lb, ub) for claim i over the x variables."""
        t = self.targets[i]
        pop, num, grp = self.coef[i]
        c_pop, c_num, c_pop_g, c_num_g, c_pop_ng, c_num_ng = self.const[i]
        rows = []
        if t.unit in ("pct", "pct1", "range"):
            if t.unit == "range":
                lo, hi = t.lo, t.hi
            else:
                h = 0.5 if t.unit == "pct" else 0.05
                lo, hi = t.value - h, t.value + h
            # 100*num - lo*den >= 0 and 100*num - hi*den < 0, constants moved to the bounds.
            a = 100 * num - lo * pop
            rows.append((a, lo * c_pop - 100 * c_num, np.inf))
            a = 100 * num - hi * pop
            upper = hi * c_pop - 100 * c_num - (_EPS if t.unit != "range" else -_EPS)
            rows.append((a, -np.inf, upper))
        elif t.unit == "count":
            rows.append((num, t.value - c_num, t.value - c_num))
        elif t.unit == "diff_gt":
            # pct in group > pct outside it; linear when neither denominator depends on V's code.
            k = len(self.codes)
            pop_m, grp_m = pop.reshape(-1, k), grp.reshape(-1, k)
            if (pop_m != pop_m[:, :1]).any() or (grp_m != grp_m[:, :1]).any():
                return None  # checked after the solve instead
            den1 = c_pop_g + float((self.atom_size * pop_m[:, 0] * grp_m[:, 0]).sum())
            den2 = c_pop_ng + float((self.atom_size * pop_m[:, 0] * (1 - grp_m[:, 0])).sum())
            if not den1 or not den2:
                return None
            # num1/den1 - num2/den2 >= m  <=>  num1*den2 - num2*den1 >= m*den1*den2: the report
            # states these differences as findings, so they are made clear, not just positive.
            margin = DIFF_MARGIN / 100 * den1 * den2
            a = (num * grp) * den2 - (num * (1 - grp)) * den1
            rows.append((a, c_num_ng * den1 - c_num_g * den2 + margin, np.inf))
        return rows

    def solve(self) -> np.ndarray:
        k = len(self.codes)
        n_atoms = len(self.atom_size)
        if not n_atoms:   # nobody was asked: nothing to choose (an empty programme fails in scipy)
            return np.zeros((0, k), dtype=int)
        A, lb, ub = [], [], []
        # Each atom's respondents all get exactly one code.
        for a in range(n_atoms):
            row = np.zeros(self.n_x)
            row[a * k:(a + 1) * k] = 1
            A.append(row)
            lb.append(self.atom_size[a])
            ub.append(self.atom_size[a])
        claim_of_row = [None] * len(A)
        for i in range(len(self.targets)):
            rows = self._claim_rows(i)
            for a_row, lo, hi in rows or []:
                A.append(a_row)
                lb.append(lo)
                ub.append(hi)
                claim_of_row.append(i)
        A = np.array(A)
        lb = np.array(lb, dtype=float)
        ub = np.array(ub, dtype=float)

        x = self._milp(A, lb, ub, np.zeros(self.n_x))
        if x is None:
            self._explain_infeasible(A, lb, ub, claim_of_row)
        # Second stage: spread each code over the atoms in proportion to atom size.
        totals = x.reshape(n_atoms, k).sum(axis=0)
        share = totals / totals.sum() if totals.sum() else np.full(k, 1 / k)
        expected = np.outer(self.atom_size, share).ravel()
        # Variables: x (n_x), d (n_x) with d >= |x - expected|.
        n = self.n_x
        A2 = np.hstack([A, np.zeros((A.shape[0], n))])
        eye = np.eye(n)
        A_dev = np.vstack([np.hstack([eye, -eye]), np.hstack([-eye, -eye])])
        lb_dev = np.full(2 * n, -np.inf)
        ub_dev = np.concatenate([expected, -expected])
        A_all = np.vstack([A2, A_dev])
        cost = np.concatenate([np.zeros(n), np.ones(n)])
        x2 = self._milp(A_all, np.concatenate([lb, lb_dev]), np.concatenate([ub, ub_dev]), cost,
                        integrality=np.concatenate([np.ones(n), np.zeros(n)]),
                        upper=np.concatenate([self.ub, np.full(n, np.inf)]))
        if x2 is not None:
            x = x2[:n]
        return np.rint(x).astype(int).reshape(n_atoms, k)

    def _milp(self, A, lb, ub, cost, integrality=None, upper=None):
        integrality = np.ones(len(cost)) if integrality is None else integrality
        upper = self.ub if upper is None else upper
        res = milp(cost, constraints=LinearConstraint(A, lb, ub), integrality=integrality,
                   bounds=Bounds(np.zeros(len(cost)), upper), options={"time_limit": 60})
        if res.status != 0 or res.x is None:
            return None
        return res.x

    def _explain_infeasible(self, A, lb, ub, claim_of_row):
        """Add the claims one at a time to find the first that cannot hold with the ones before it."""
        base = [i for i, c in enumerate(claim_of_row) if c is None]
        chosen = list(base)
        for i, t in enumerate(self.targets):
            rows = [r for r, c in enumerate(claim_of_row) if c == i]
            trial = chosen + rows
            if self._milp(A[trial], lb[trial], ub[trial], np.zeros(self.n_x)) is None:
                earlier = ", ".join(tt.claim_id for tt in self.targets[:i]) or "none"
                raise ReconstructionError(
                    f"variable {self.vid}: claim {t.claim_id} ({t.source}; {t.unit} {t.value:g} of "
                    f"[{t.population or 'all'}] with [{t.numerator}]) cannot hold together with the "
                    f"earlier claims on this variable ({earlier})"
                )
            chosen = trial
        raise ReconstructionError(f"variable {self.vid}: no solution, and no single claim explains why")


def reconstruct(cb: Codebook, published: pd.DataFrame, n_respondents: int | None = None,
                log=lambda msg: None) -> pd.DataFrame:
    targets = _targets(published)
    order = generation_order(cb, targets)
    position = {v: i for i, v in enumerate(order)}
    n = n_respondents or _total_respondents(published)
    df = pd.DataFrame({"resp_id": np.arange(1, n + 1)})
    for vid in order:
        df[vid] = np.nan
    # Each claim is solved with the last-generated variable it mentions.
    by_var: dict[str, list[Target]] = {v: [] for v in order}
    for t in targets:
        known = [nm for nm in t.names if nm in position]
        unknown = t.names - set(position) - {"resp_id"}
        if unknown:
            raise ReconstructionError(f"claim {t.claim_id} ({t.source}) refers to unknown column(s) {sorted(unknown)}")
        if not known:
            continue  # e.g. the total number of respondents
        by_var[max(known, key=position.get)].append(t)
    for vid in order:
        problem = _Problem(df, cb, vid, by_var[vid])
        counts = problem.solve()
        rng = np.random.default_rng(_seed(vid))
        values = np.full(len(df), np.nan)
        for a in range(len(problem.atom_size)):
            members = problem.rows[problem.atom_of_row == a]
            dealt = np.repeat(problem.codes, counts[a])
            values[members] = rng.permutation(dealt)
        df[vid] = values
        log(f"{vid}: {len(problem.atom_size)} atoms, {len(by_var[vid])} claims")
    failures = [f"{t.claim_id} ({t.source})" for t in targets if t.names and not holds(df, t)]
    if failures:
        raise ReconstructionError("generated data does not reproduce: " + ", ".join(failures))
    return df


def holds(df: pd.DataFrame, t: Target) -> bool:
    """Does the generated data reproduce claim t? The reconciliation's own rule, not a copy."""
    from analysis import numbers, stats
    from analysis.survey import Survey

    n = numbers.Number(key=t.claim_id, unit=t.unit, status="", rests_on="", value=None,
                       population=t.population, numerator=t.numerator, group=t.group)
    numbers._recompute(n, Survey(None, df, pd.DataFrame(), remember=False), stats)
    return numbers.reproduces(t.unit, t.value, t.lo, t.hi, n.value, n.p)


def _total_respondents(published: pd.DataFrame) -> int:
    rows = published[(published.unit == "count") & (published.population == "") & (published.numerator == "")
                     & (published.status == "published")]
    if rows.empty:
        raise ReconstructionError("data/published has no count row with empty population and numerator (the total n)")
    return int(float(rows.iloc[0].value))


def to_csv_bytes(df: pd.DataFrame, columns: list[str]) -> bytes:
    out = df[columns].copy()
    for col in columns:
        out[col] = out[col].map(lambda v: "" if pd.isna(v) else str(int(v)))
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def main(args) -> int:
    from rich.console import Console

    from arena.project import Project

    console = Console(stderr=True)
    project = Project.find()
    raw = project.raw
    cb = codebook_mod.load(project.codebook, project.show(project.codebook))
    published = claims_mod.load(project.published, project.show(project.published))
    try:
        df = reconstruct(cb, published)
    except ReconstructionError as exc:
        console.print(f"[red]reconstruction failed:[/red] {exc}")
        return 1
    data = to_csv_bytes(df, cb.columns)
    if getattr(args, "check", False):
        same = raw.exists() and raw.read_bytes() == data
        console.print("data/raw/survey.csv is " + ("what the generator makes" if same else "[red]NOT[/red] what the generator makes"))
        return 0 if same else 1
    raw.parent.mkdir(parents=True, exist_ok=True)
    tmp = raw.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(raw)
    project.register_raw("reconstruction", DESCRIPTION)
    console.print(f"wrote {project.show(raw)} ({len(df)} respondents, {len(cb.variables)} variables, "
                  f"sha256 {hashlib.sha256(data).hexdigest()[:12]}) and {project.show(project.raw_meta)}")
    return 0


DESCRIPTION = ("Generated by `arena reconstruct` from data/codebook and data/published: a reconstruction "
               "that reproduces the printed numbers, not the real answers.")


if __name__ == "__main__":
    sys.exit(main(None))
