"""Our report reader's present / absent / uncertain next to medspaCy's ConText, on the same
findings of the hand-written report pairs (tests/fixtures/reports/). Printed, not asserted.

medspaCy is not a dependency: `scripts/medspacy-side-by-side` makes a throwaway virtualenv with
it (MIT; about 290 MB with spaCy) and runs this file there. Each finding our reader found is
given to medspaCy as a target (the same words, bot/reports/vocabulary.py) in the same sentence,
so only the assertion is compared; every disagreement is printed for a person to judge.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import medspacy  # type: ignore[import-not-found]
import yaml
from loguru import logger  # type: ignore[import-not-found]  (PyRuSH logs every token)
from medspacy.ner import TargetRule  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reports.findings import read_report  # noqa: E402
from bot.reports.vocabulary import KINDS  # noqa: E402


def medspacy_pipeline():  # type: ignore[no-untyped-def]
    nlp = medspacy.load(medspacy_enable=["medspacy_pyrush", "medspacy_target_matcher",
                                         "medspacy_context"])
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add([TargetRule(kind, kind.upper(), pattern=[{"LOWER": {"REGEX": f"^(?:{forms})$"}}])
                 for kind, forms in KINDS if " " not in kind and r"\b" not in forms])
    matcher.add([TargetRule(kind, kind.upper()) for kind, _ in KINDS])
    return nlp


def assertion_of(ent) -> str:  # type: ignore[no-untyped-def]
    if ent._.is_negated:
        return "absent"
    if ent._.is_uncertain or ent._.is_hypothetical:
        return "uncertain"
    return "present"


def main() -> None:
    logger.remove()
    started = time.perf_counter()
    nlp = medspacy_pipeline()
    loaded = time.perf_counter() - started
    same = differ = unmatched = 0
    rows: list[str] = []
    seconds = 0.0
    for path in sorted((ROOT / "tests" / "fixtures" / "reports").glob("*.yml")):
        pair = yaml.safe_load(path.read_text())
        for side in ("a", "b"):
            for finding in read_report(pair[side]).findings:
                t0 = time.perf_counter()
                doc = nlp(finding.text)
                seconds += time.perf_counter() - t0
                ents = [e for e in doc.ents if e.label_ == finding.kind.upper()]
                if not ents:
                    unmatched += 1
                    continue
                theirs = assertion_of(ents[0])
                if theirs == finding.assertion:
                    same += 1
                else:
                    differ += 1
                    sentence = re.sub(r"\s+", " ", finding.text)[:110]
                    rows.append(f"  {path.stem}/{side}: {finding.kind}: ours {finding.assertion}, "
                                f"medspaCy {theirs} | {sentence}")
    total = same + differ
    print(f"medspaCy {medspacy.__version__} ConText side by side, {time.strftime('%Y-%m-%d')}")
    print(f"  findings compared: {total} (not found as a target by medspaCy: {unmatched})")
    print(f"  same assertion: {same} ({same / max(total, 1):.1%}); different: {differ}")
    print(f"  pipeline load {loaded:.1f} s; {1000 * seconds / max(total + unmatched, 1):.1f} ms "
          "per sentence")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
