"""Keyword safety net for emergencies, checked on every message (and the NLU's `red_flag` intent).

Inside Rasa, `bot.rasa_ext.red_flags` runs `detect_red_flags` on every message and makes the
intent `red_flag` when it finds one, so emergency guidance comes first even when the message was
typed as the answer to a form question; the Telegram bridge calls it too. It must stay
stdlib-only: it is imported by Rasa's Python 3.10 as well as by ours.

Patterns are written per class of everyday phrasing, not per sentence: self-harm said
indirectly (no reason to go on, a plan with medication, a chosen date, "better off without me"),
stroke signs as a relative describes them (words that make no sense, a face that sags, a hand
that stops working), heart-attack pictures (pressure behind the breastbone, pain spreading to the
jaw or left arm), cauda equina (numb when wiping, can't control the toilet, with back trouble).

These guards keep it quiet on ordinary second-opinion talk ("CT of my chest", "stroke protocol
MRI from 2019"):
  - a negation just before the phrase ("no chest pain") skips it;
  - talk about an exam ("chest pain CT", "a CT for chest pain") is not a symptom report;
  - some signs count only together (bladder trouble with back pain or leg weakness; two of the
    softer self-harm signs, such as a chosen date and "I won't be here");
  - a message that only talks about the past ("chest pain last year") is not an emergency now,
    unless it also says now/still/again/since, and "had a heart attack in 2019" is history.
    Thoughts of self-harm are never discounted.

Several emergencies can be found in one message; a sign that a more specific emergency explains
is not reported on its own (an arm that goes numb with crushing chest pain is the heart attack's,
not a stroke's), so the advice fits what the patient described.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.guidance.normalize import is_negated, normalize_text, split_clauses


@dataclass(frozen=True)
class RedFlag:
    category: str
    matched: str


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_BACK_CONTEXT: Final = _pattern(
    r"back", r"spine", r"spinal", r"sciatica", r"discs?", r"disks?", r"lumbar"
)
_RELATIVE: Final = r"(?:i|he|she|they|mom|dad|mother|father|husband|wife|son|daughter|partner)"
_WHOSE: Final = r"(?:my|his|her|their|the)"
# One limb, as a stroke affects one side; weak legs alone are the back's (cauda equina).
_ONE_LIMB: Final = r"(?:arm|hand|fingers|(?:left|right) (?:arm|hand|leg|foot))"
_LIMB: Final = r"(?:arm|arms|hand|hands|leg|legs|foot|fingers)"
# "not urgent", "not an emergency", "nothing urgent": the word itself is negated.
_NOT: Final = r"(?<!not )(?<!non )(?<!no )(?<!isnt )(?<!not a )(?<!not an )(?<!nothing )"
_MEDS: Final = (
    r"(?:pills|tablets|meds|medications?|painkillers|sleeping pills|opioids|oxy\w*|insulin)"
)

# Category -> pattern. The order is the order of the advice when several apply.
_RULES: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("self_harm", _pattern(
        r"kill(ing)? (my|him|her)sel(f|ves)", r"suicid\w*", r"end(ing)? (my|it) (own )?(life|all)",
        r"take my (own )?life", r"want(ed)? to die", r"(hurt|harm)(ing)? myself", r"self harm",
        r"(dont|do not|doesnt|does not) want to (live|be alive|be here|exist|wake up)",
        r"better off (dead|without me|if i (\w+ ){0,2}(wasnt|werent|was not|were not|didnt|"
        r"did not|was gone|were gone|never))",
        r"no (reason|point) (for me )?(to|in) (keep(ing)? going|go(ing)? on|carry(ing)? on|"
        r"liv(e|ing)|be(ing)? (here|alive|around))",
        r"no reason to live", r"overdos\w*",
        # Thoughts of self-harm in everyday words (the red flags in shared/notes).
        r"dark (thoughts|thinking)", r"(in|into) a (really |very |bad )?dark place",
        r"(dont|do not|cant) see (the|any) point (anymore|any more|in (living|going on|life))",
        r"(go to )?sleep and (not|never) wake up", r"(not|never) wake up again",
        # A plan with medication.
        # Not "I take all my meds every morning".
        rf"(took|take|taken|swallowed) (too many|a lot of) {_MEDS}",
        r"(take|took|taking|taken|swallow\w*) (\w+ ){0,2}(whole|entire) (bottle|pack|packet|box)",
        r"(take|took|taking|swallow\w*) (all|every one|the rest) (of )?(\w+ ){0,3}"
        r"(at once|in one go|on purpose)",
        rf"{_MEDS} (all )?(at once|in one go)",
        rf"(saving|saved|stockpil\w*|hoard\w*|stash\w*) (up )?(\w+ ){{0,2}}{_MEDS}",
        r"(rather|want to|going to|gonna|plan to|planning to|thinking (about|of)) (just )?"
        r"(how to )?(end|ending) (it|things|everything|it all)",
        r"wont be around (long enough|much longer|for long|to see)",
        r"(not|wont) (going to )?be (here|around|alive) (much )?(longer|for long)",
        r"(dont|do not) plan (on|to) (be|being) (alive|here|around)",
        r"decided (when|how|where) (im|i am|ill|i will) (going to |gonna )?do it",
        rf"enough (\w+ ){{0,2}}{_MEDS} (\w+ ){{0,3}}(to|so) (\w+ ){{0,3}}(not|never|dont) wake up",
        r"make sure (i|he|she) (dont|do not|never|wont) wake up",
        r"(drive|driving|jump|jumping|step|stepping) (off|from|in front of) (a|the) "
        r"(bridge|cliff|roof|building|train|bus|truck)",
        r"(everything|it all|it) to (stop|end) (\w+ )?(permanently|for good|forever)",
        r"(easier|better) for (everyone|everybody|them|my family) if i (\w+ ){0,2}(disappeared|"
        r"was gone|were gone|wasnt here|died|was dead)",
    )),
    ("stroke", _pattern(
        r"(face|mouth|smile|lip|lips|eyelid) (\w+ ){0,3}(droop\w*|sagg\w*|lopsided|uneven|"
        r"crooked|hanging|dropped|slack|twisted|pulled (down|to one side))",
        r"words (that )?(dont|do not|didnt) (fit|go) together",
        r"droop\w* (face|mouth|smile)", r"droop\w* on one side", r"slurr\w*", r"lopsided",
        r"(half|one side of) (\w+ ){0,2}(face|smile|mouth) (\w+ ){0,2}(is )?(gone|dropped|"
        r"droop\w*|sagg\w*|slack|not moving|wont move|numb|weak)",
        # "can't talk to my doctor until Monday" is not a speech problem.
        r"(cant|cannot|can not|trouble|difficulty|struggling to) (speak|speaking|talk|talking)"
        r"(?! (to|with|about|until|till|before|because|for|on)\b)",
        r"having a stroke", r"stroke (right )?now", r"(signs|symptoms) of (a )?stroke",
        r"stroke symptoms", r"(might|may|could) be (having )?a stroke",
        r"(jumbled|garbled) (words|speech)", r"words (\w+ ){0,3}(jumbled|garbled)",
        r"(words|speech|sentences|what (he|she|they) (says|said)) (\w+ ){0,3}"
        r"(make|makes|making|made) (no|zero|little) sense",
        r"gibberish", r"(talking|speaking|mumbling|babbling) (\w+ )?nonsense",
        r"(talk\w*|speak\w*|sound\w*) like (hes|shes|he is|she is|theyre|im|i am) drunk",
        r"(cant|cannot|can not|couldnt|unable to) (find|get out) (\w+ ){0,2}words",
        r"(cant|cannot|can not|couldnt|unable to) get (\w+ ){0,2}words out",
        r"(cant|cannot|can not|couldnt) say (his|her|my|their) (own )?name",
        r"(speech|voice|words) (\w+ ){0,2}(went|goes|is|are|sounds|came out|comes out|coming out)"
        r" (\w+ ){0,2}(weird|wrong|funny|strange|garbled|jumbled|off)",
        r"(half|one side of|side of) (my |his |her )?face (\w+ )?(numb|weak)\w*",
        r"one side of (my|his|her) (body|face)",
    )),
    ("chest_pain", _pattern(
        r"chest (pain|pains|pressure|tightness|discomfort)",
        rf"(pain|pressure|tightness|heaviness|ache|squeez\w*) (\w+ ){{0,2}}(in|on|across|behind|"
        rf"under) {_WHOSE} (chest|breastbone|sternum)",
        rf"(sitting|standing|weight|band|vice) (\w+ )?(on|around|across) {_WHOSE} chest",
        r"chest (\w+ )?(is|feels|felt) (\w+ )?(tight|heavy|crushed|squeezed)",
        r"chest (\w+ ){0,2}(hurts|hurting|aching|aches|burning|killing (me|him|her))",
        rf"(clutch\w*|grabb\w*|holding) (at )?{_WHOSE} chest",
        rf"(pain|pressure|ache|tightness) (\w+ ){{0,3}}(into|to|down|up) {_WHOSE} (jaw|left arm)",
        r"crushing", r"(?<!previous )(?<!prior )(?<!old )heart attack",
    )),
    ("breathing", _pattern(
        r"(cant|cannot|can not|unable to|struggling to|hard to|trouble|difficulty) breath\w*",
        r"short(ness)? of breath", r"gasping", r"choking", r"struggling (for|to get) (\w+ )?breath",
        r"(cant|cannot|can not|couldnt) catch (my|his|her|their) breath",
        r"(lips|face|skin|fingers|fingertips) (\w+ ){0,3}(blue|purple|grey|gray)",
        r"breathless\w*", r"(cant|cannot|can not|not) get (enough )?(air|a breath|my breath)",
        r"(only|barely) (say|speak|talk|get out) (a few|a couple of|one or two) words",
        r"(sucking|pulling) in (\w+ ){0,3}(ribs|neck)",
    )),
    ("fainting", _pattern(
        # Not a bare "faint": reports say "faint shadow"; not "collapsed lung" either.
        r"passed out", r"pass(ing)? out", r"fainted", r"fainting", r"feel(ing|s)? faint",
        r"blacked out", r"black(ing)? out", r"lost consciousness", r"unconscious",
        r"unresponsive", rf"{_RELATIVE} (just )?collapsed", rf"{_RELATIVE} (just )?went limp",
        r"(cant|cannot) wake (him|her|them)",
        r"(cant|cannot|can not|couldnt) get (him|her|them) to (respond|wake|answer|open)",
        r"(sudden|suddenly|severe|severely|very|extremely) (\w+ )?dizz\w*",
        r"room (is |was )?spinning", r"everything went (black|dark)",
    )),
    ("vision", _pattern(
        # Not "can't see anything on the CD".
        r"(sudden|suddenly) (\w+ ){0,2}(blind\w*|vision|cant see|cannot see|blurr\w*)",
        r"lost (my |his |her |the )?(vision|sight)", r"(loss of|losing) (vision|sight)",
        r"vision loss", r"double vision", r"seeing double", r"(went|gone|going) blind",
        r"blind in one eye",
        r"(cant|cannot|can not) see (anything )?(out of|with) (my|one|his|her|the)",
        r"vision (\w+ )?(went|is going|goes|turned) (dark|black|blurry|grey|gray)",
        r"(curtain|shadow|veil) (\w+ ){0,4}(over|across|down) (\w+ ){0,3}(eye|vision|sight)",
    )),
    ("confusion", _pattern(
        # Not "I'm confused by the report".
        r"(sudden|suddenly) (\w+ )?confus\w*", r"disoriented",
        r"(doesnt|does not) know where (he|she|they) (is|are)",
        r"(doesnt|does not|dont|didnt) know (what|which) (year|day|month) it is",
        r"(keeps?|kept) asking the same (thing|question)s?",
        r"(doesnt|does not|cant) recogni[sz]e", r"not making (any )?sense", r"talking nonsense",
        # After a head injury, unusual sleepiness is a change in alertness.
        r"(really|very|unusually|too) (sleepy|drowsy)", r"hard to wake",
        r"(he|she|they|mom|dad|mother|father|husband|wife) (is|seems|became|got|has become) "
        r"(very |really |suddenly )?confused(?! (by|about|with|over|why|what|how|because)\b)",
    )),
    ("severe_pain", _pattern(
        r"worst (headache|pain)", r"thunderclap", r"excruciating", r"unbearable", r"agony",
        r"(sudden|suddenly) (\w+ ){0,2}(severe|intense|terrible|horrible|extreme|sharp|"
        r"splitting|exploding) \w*",
        r"headache (\w+ ){0,3}(out of nowhere|out of the blue|all of a sudden|like (being |"
        r"getting )?(hit|struck|kicked|an explosion))",
        r"(out of nowhere|out of the blue) (\w+ ){0,2}headache",
        r"stiff neck (and|with) (a )?(high )?fever", r"fever (and|with) (a )?stiff neck",
        r"(severe|intense|extreme|terrible|horrible) (\w+ ){0,2}pain (right )?now",
        r"10 out of 10",
    )),
    ("blood", _pattern(
        r"cough\w* (up )?blood", r"(vomit\w*|throw\w* up|threw up|spit\w* (up )?) ?blood",
        r"blood in (my |his |her )?(vomit|sputum|spit|phlegm)",
    )),
    ("bleeding", _pattern(
        r"bleeding (heavily|a lot|badly|everywhere|that wont stop|wont stop)",
        r"(cant|cannot|can not|wont) stop (the )?bleed\w*", r"uncontrolled bleed\w*",
        r"heavy bleed\w*", r"blood everywhere", r"losing (a lot of )?blood", r"hemorrhaging",
        r"(keeps?|kept|still) bleeding", r"bleed\w* through (\w+ ){0,2}(bandages?|dressings?|"
        r"gauze|towels?|pads?)",
        r"(soaked|soaking) (through )?(\w+ ){0,2}(bandages?|dressings?|towels?|gauze) "
        r"(with|in) blood",
    )),
    ("cauda_equina", _pattern(
        r"saddle (area )?(numb\w*|anesthesia|anaesthesia)",
        r"numb\w* between (my |his |her |the )?legs",
        r"numb\w* (in|around) (my |his |her |the )?(groin|inner thighs|buttocks|bottom|privates|"
        r"genitals)",
        r"(groin|inner thighs|buttocks|bum|bottom|privates|genitals|perineum) (\w+ ){0,4}"
        r"(numb\w*|no feeling)",
        r"(cant|cannot|can not|couldnt) feel (\w+ ){0,3}(when|while) (i|he|she) wipes?",
        r"numb\w* (in|around) (the |my )?saddle",
        r"(cant|cannot|can not) feel (my |his |her )?(groin|bottom|privates|genitals|legs)",
    )),
    ("urgent_report", _pattern(
        r"(report|radiologist|doctor|dr|result|results|they|he|she|nurse|office|scan|message|"
        r"portal|letter) "
        r"(\w+ ){0,5}(says|said|say|saying|called|told|flagged|marked|wrote|calls|shows|showed) "
        rf"(\w+ ){{0,6}}{_NOT}(critical|urgent\w*|emergen\w*|immediately|right away|asap|er)",
        rf"{_NOT}critical (result|finding|value)s?", r"call (\w+ ){0,2}immediately",
        rf"(results?|report|findings?) (is|are|was|were|came back) (\w+ )?{_NOT}(critical|urgent)",
        r"told (me|us|him|her|them) to go to (the )?(er|emergency|hospital)",
    )),
)

# Weakness or numbness of a limb that came on suddenly: a stroke sign, unless a more specific
# emergency found in the same message explains it (chest pain with a numb left arm; back trouble
# with weak legs). One limb, or one side: weak legs alone are the back's.
_LIMB_SIGNS: Final = _pattern(
    rf"{_ONE_LIMB} (and (\w+ )?{_LIMB} )?(just |suddenly )?(went|goes|has gone|have gone|suddenly)"
    r" (\w+ ){0,2}(weak|numb|limp|dead|heavy)",
    rf"{_ONE_LIMB} and (\w+ )?(arm|leg|face) (are|is|feel|feels) (\w+ ){{0,2}}(weak|numb)",
    rf"{_ONE_LIMB} (\w+ ){{0,2}}(stopped working|wont work|gave (way|out)|flopped)",
    r"(cant|cannot|can not) feel (my |his |her |the )?(left|right) (side|arm|leg|hand)",
    r"(sudden|suddenly) (\w+ )?(weak|numb)\w*",
    r"(keeps?|kept|keeps on) dropping (things|stuff|everything|his|her|my)",
    r"(cant|cannot) move (my |his |her |the )?(left|right) (side|arm|leg|hand)",
    r"(left|right) side (\w+ )?(weak|numb|paraly[sz]ed)\w*",
)
# A numb hand, an arm that can't be raised or a weak grip are also what patients with a neck,
# shoulder or wrist problem describe ("my hand is numb and tingly, hence the neck MRI"): they
# count only when the message says the problem started suddenly or just now.
_LIMB_SIGNS_IF_SUDDEN: Final = _pattern(
    rf"{_ONE_LIMB} (\w+ )?(is|are|feels|feel|felt) (\w+ ){{0,2}}(weak|numb|limp|dead|heavy|tingly)",
    r"(cant|cannot|can not|couldnt|unable to) (grip|grasp|squeeze|hold)",
    rf"(cant|cannot|can not|couldnt|unable to) (lift|raise) {_WHOSE} (left |right )?(arm|hand)",
)
_SUDDEN: Final = _pattern(
    r"sudden\w*", r"all of a sudden", r"out of (nowhere|the blue)", r"just (now|started|happened)",
    r"(it|this|that) (just )?started", r"(minutes?|an hour|hours?) ago", r"right now",
    r"this (morning|afternoon|evening)", r"since (lunch|breakfast|dinner|this morning)",
)
_EXPLAINS_LIMB_SIGNS: Final = frozenset({"chest_pain", "cauda_equina"})

# Cauda equina signs that count only together: bladder or bowel loss with back trouble or leg
# weakness, or leg weakness with back trouble. Alone, each is common and rarely an emergency.
_BLADDER_BOWEL: Final = _pattern(
    r"(cant|cannot|can not|couldnt|unable to|havent been able to|trouble|problems?|difficulty|"
    r"lost|losing|loss of|no) (\w+ ){0,2}(my |his |her )?(bladder|bowels?|pee|peeing|urinat\w*|"
    r"poop\w*)",
    r"(bladder|bowel|bowels) (\w+ )?(control|accidents?|leak\w*|incontinen\w*|problems?)",
    r"(cant|cannot|can not|unable to|no) control (\w+ ){0,4}(toilet|bathroom|pee\w*|poo\w*|"
    r"bladder|bowels?)",
    r"wet (my|him|her)self", r"incontinen\w*", r"had (\w+ )?accidents",
    r"(cant|cannot) tell when (i|he|she) (need|needs) to (go|pee|poop)",
)
_LEG_WEAKNESS: Final = _pattern(
    r"legs? (\w+ ){0,3}(weak\w*|giving (out|way)|numb\w*|buckl\w*)",
    r"weakness in (my |both |his |her )?legs?", r"(cant|cannot) (walk|stand|move (my )?legs?)",
)

# Softer self-harm signs: each is ordinary on its own ("we picked the date for surgery"), two
# together are a plan.
_SELF_HARM_SOFT: Final = _pattern(
    r"(picked|chosen|chose|set|decided on|planned) (a|the|my) (date|day)",
    r"(wont|will not) be (here|around|alive)", r"made up my mind",
    r"none of (this|it) will (matter|be my problem)", r"(wont|will not) be my problem",
    r"(wrote|written|writing|left) (\w+ ){0,2}(letters|notes?|goodbyes?)",
    r"(saying|said|say) (my )?goodbyes?", r"giving away (\w+ )?(stuff|things|belongings)",
    r"(just|only|such) a burden",
    r"(rope|noose|gun|pistol|rifle|blade|razor|bridge|ledge)",
    r"think\w* (about|of) (using|doing) (it|that|them)",
    r"(cant|cannot) (do|take|go on with) (this|it) any ?more",
    r"(cant|cannot) (keep going|go on)", r"(have|has|got|made) a plan",
    r"(affairs|things) in order",
    r"(thought|thinking|think) about how (i would|i could|id|to) do it",
)

# Exam words: "chest pain CT" names an exam, and "a CT for chest pain" gives an exam's reason.
_EXAM_WORDS: Final = (
    r"(?:x ?rays?|ct|cts|cat scan|mri|mris|scans?|ultrasound|films?|imaging|protocol|angiogram)"
)
_EXAM_AFTER: Final = re.compile(rf" {_EXAM_WORDS}\b")
_EXAM_REASON_BEFORE: Final = re.compile(
    rf"\b{_EXAM_WORDS}( \w+){{0,4}} (for|because of|after|due to)( \w+){{0,2}} $"
)

_PAST: Final = _pattern(
    r"last (year|month|week|summer|winter|spring|fall)", r"\d+ (years?|months?|weeks?) ago",
    r"(a|one|two|three|few|several|many) (years?|months?) ago", r"years ago", r"months ago",
    r"(in|from|since|back in) (19|20)\d\d", r"back (in|then)", r"in the past", r"used to",
    r"previously", r"history of",
)
_PRESENT: Final = _pattern(
    r"now", r"right now", r"today", r"tonight", r"this (morning|afternoon|evening)",
    r"currently", r"still", r"again", r"since", r"just (started|now|happened)", r"keeps?",
    r"getting worse", r"worse", r"at the moment",
)
# "she had a heart attack in 2019": an event of the past, even if the message goes on with now.
_HISTORY_BEFORE: Final = re.compile(r"\b(had|survived|after|since)( (a|an|his|her|my))? $")
_EVENTS: Final = re.compile(r"\b(heart attack|stroke)\b")
_NEVER_DISCOUNTED: Final = frozenset({"self_harm"})


def _only_about_the_past(clean: str) -> bool:
    return bool(_PAST.search(clean)) and not _PRESENT.search(clean)


def _is_exam_talk(clause: str, start: int, end: int) -> bool:
    """True when the phrase names an exam or the reason an exam was done, not a symptom now."""
    return bool(
        _EXAM_AFTER.match(clause, end) or _EXAM_REASON_BEFORE.search(clause[:start])
    )


def _is_history(clause: str, start: int, matched: str) -> bool:
    """An event named with its date ("had a heart attack in 2019"), not a symptom now."""
    return bool(
        _EVENTS.search(matched) and _HISTORY_BEFORE.search(clause[:start]) and _PAST.search(clause)
    )


def _find(pattern: re.Pattern[str], clauses: tuple[str, ...]) -> str | None:
    for clause in clauses:
        for match in pattern.finditer(clause):
            start, end = match.span()
            if is_negated(clause, start) or _is_exam_talk(clause, start, end):
                continue
            if _is_history(clause, start, match.group(0)):
                continue
            return match.group(0)
    return None


def _cauda_equina_combination(clauses: tuple[str, ...]) -> str | None:
    back = _BACK_CONTEXT.search(" ".join(clauses)) is not None
    legs = _find(_LEG_WEAKNESS, clauses)
    bladder = _find(_BLADDER_BOWEL, clauses)
    if bladder and (back or legs):
        return bladder
    return legs if legs and back else None


def _self_harm_combination(clauses: tuple[str, ...]) -> str | None:
    signs = {m.group(0) for clause in clauses for m in _SELF_HARM_SOFT.finditer(clause)}
    return " + ".join(sorted(signs)) if len(signs) >= 2 else None


def detect_red_flags(text: str | None) -> tuple[RedFlag, ...]:
    """Every emergency in a message, in the order their advice is given; empty when none."""
    clauses = split_clauses(text)
    if not clauses:
        return ()
    past_only = _only_about_the_past(normalize_text(text))
    found: list[RedFlag] = []
    for category, pattern in _RULES:
        if past_only and category not in _NEVER_DISCOUNTED:
            continue
        matched = _find(pattern, clauses)
        if matched is None and category == "cauda_equina":
            matched = _cauda_equina_combination(clauses)
        if matched is None and category == "self_harm":
            matched = _self_harm_combination(clauses)
        if matched is not None:
            found.append(RedFlag(category=category, matched=matched))
    categories = {flag.category for flag in found}
    if "stroke" not in categories and not past_only and not categories & _EXPLAINS_LIMB_SIGNS:
        limb = _find(_LIMB_SIGNS, clauses)
        if limb is None and _SUDDEN.search(normalize_text(text)):
            limb = _find(_LIMB_SIGNS_IF_SUDDEN, clauses)
        if limb is not None:
            found.insert(
                next((i for i, f in enumerate(found) if f.category != "self_harm"), len(found)),
                RedFlag(category="stroke", matched=limb),
            )
    return tuple(found)


# A complaint of long standing ("numb feet from diabetes for years") is not an emergency now.
_CHRONIC: Final = _pattern(
    r"for (years|months|weeks|ages|a long time)",
    r"for (over )?(a|one|\d+|a few|few|several|many|two|three|four|five|six) "
    r"(years?|months?|weeks?)",
    r"chronic\w*", r"long ?standing", r"from (his|her|my|their) (diabetes|arthritis|neuropathy)",
    r"since (\w+ ){0,5}(january|february|march|april|may|june|july|august|september|october|"
    r"november|december|(19|20)\d\d|last (year|month|summer|winter|spring|fall)|childhood|"
    r"birth)",
)
# What says "now" for that purpose: the net's present words, except a "since" that dates a
# long-standing complaint ("since I fell in January"); recent onsets count.
_NOW: Final = _pattern(
    r"now", r"right now", r"today", r"tonight", r"this (morning|afternoon|evening)",
    r"currently", r"still", r"again", r"just (started|now|happened)", r"keeps?",
    r"getting worse", r"worse", r"at the moment",
    r"since (yesterday|last night|this|today|an hour|lunch|breakfast|dinner)",
    r"(minutes?|hours?) ago",
)
_ALL_SIGNS: Final = (
    *(pattern for _, pattern in _RULES), _LIMB_SIGNS, _LIMB_SIGNS_IF_SUDDEN, _BLADDER_BOWEL,
    _LEG_WEAKNESS,
)


def _discounted(clauses: tuple[str, ...]) -> bool:
    """Whether some sign is named but denied, the reason for an exam, or an event in the past."""
    for pattern in _ALL_SIGNS:
        for clause in clauses:
            for match in pattern.finditer(clause):
                start, end = match.span()
                if (
                    is_negated(clause, start)
                    or _is_exam_talk(clause, start, end)
                    or _is_history(clause, start, match.group(0))
                ):
                    return True
    return False


# Hyperbole about the errand, not the body ("this insurance process is killing me lol"): DIET
# learnt "killing me" from emergencies ("my back is killing me and I can't pee"); said of a
# process, a wait or a form, with no sign named, it is frustration. So is something "giving me
# a headache": an idiom, and a headache alone is no emergency sign (the worst or a sudden one
# is, and then the net finds it).
_FIGURATIVE: Final = _pattern(
    r"(process|insurance|paperwork|wait|waiting|forms?|bills?|billing|bureaucracy|calls?|"
    r"music|portal|system|stuff|fax\w*|red tape|hassle|department|office|company|insurer|"
    r"queue|line|results?) (is|are|s|was|has been|keeps?) (literally |honestly |actually |"
    r"slowly )?(killing|driving) me",
    r"giving me (a |such a |the )?(headache|migraine)s?",
)


# A finding the images or the report call old, stable or healed ("the bleeding on the MRI is old
# and stable", "an old stroke on the CT"): what a scan shows, not a symptom now.
_SETTLED: Final = r"(?:old|stable|chronic|healed|resolved|unchanged)"
_SETTLED_FINDING: Final = _pattern(
    rf"(on|in) (the |my |his |her |their )?{_EXAM_WORDS}( \w+){{0,4}} (is|are|was|were|looks?|"
    rf"looked|seems?|called|described as) (\w+ )?{_SETTLED}",
    rf"{_SETTLED} (\w+ ){{0,2}}(bleed\w*|blood|clots?|strokes?|infarct\w*|fractures?|"
    rf"hemorrhages?|haemorrhages?)( \w+){{0,3}} (on|in) (the |my |his |her |their )?{_EXAM_WORDS}",
)


def _only_a_settled_finding(clean: str) -> bool:
    return bool(_SETTLED_FINDING.search(clean)) and not any(p.search(clean) for p in _ALL_SIGNS)


def _only_a_figure_of_speech(clean: str) -> bool:
    return bool(_FIGURATIVE.search(clean)) and not any(p.search(clean) for p in _ALL_SIGNS)


def only_mentions_emergency_signs(text: str | None) -> bool:
    """True when the message says why its emergency words are not an emergency now: denied
    ("I'm not suicidal"), only in the past ("a CT for chest pain last spring"), the reason for
    an exam, long-standing ("my hand has been numb for 6 months"), a figure of speech about
    the errand with no sign named ("the paperwork is killing me") or a finding the scan calls old
    or stable ("the bleeding on the MRI is old and stable"), and nothing says now or suddenly.
    The NLU reads such words as an emergency; the net's guards say it is not.
    False whenever the net finds an emergency."""
    clean = normalize_text(text)
    if not clean or detect_red_flags(text) or _NOW.search(clean) or _SUDDEN.search(clean):
        return False
    return (
        bool(_CHRONIC.search(clean))
        or _only_about_the_past(clean)
        or _discounted(split_clauses(text))
        or _only_a_figure_of_speech(clean)
        or _only_a_settled_finding(clean)
    )


def detect_red_flag(text: str | None) -> RedFlag | None:
    """The first emergency sign in a message (see `detect_red_flags`), or None."""
    flags = detect_red_flags(text)
    return flags[0] if flags else None


_EMERGENCY_FIRST: Final = (
    "Please call 911 or go to the nearest emergency department now. Don't wait for a second "
    "opinion."
)
_URGENT_REPORT_FIRST: Final = (
    "If you have any symptoms or feel unwell, call 911 or go to the nearest emergency department "
    "now. Don't wait for a second opinion."
)
# How every emergency reply starts: channels show it as an alert (the widget's ALERT_OPENINGS
# and the Telegram rendering match these; tests check they stay the same).
EMERGENCY_OPENINGS: Final = (_EMERGENCY_FIRST, _URGENT_REPORT_FIRST)


def emergency_opening(text: str | None) -> str | None:
    """The emergency instruction a reply starts with, or None for any other reply."""
    return next((o for o in EMERGENCY_OPENINGS if (text or "").startswith(o)), None)


_CATEGORY_ADVICE: Final[dict[str, str]] = {
    "stroke": (
        "Face drooping, arm weakness or trouble speaking can be signs of a stroke. Call 911 even "
        "if the symptoms pass, and note the time they started."
    ),
    "chest_pain": (
        "Chest pain or pressure, especially with pain or numbness spreading to the arm, jaw or "
        "back, can be a heart attack: call 911 rather than driving yourself, and don't wait to "
        "see if it passes."
    ),
    "breathing": "Severe trouble breathing needs to be checked right away.",
    "fainting": "Fainting or sudden severe dizziness needs to be checked right away.",
    "vision": "A sudden change in vision needs to be checked right away.",
    "confusion": "Sudden confusion or unusual sleepiness needs to be checked right away.",
    "severe_pain": "Sudden severe pain needs to be checked right away.",
    "bleeding": "Bleeding that won't stop needs care right away.",
    "blood": "Coughing or vomiting blood needs to be checked right away.",
    "self_harm": (
        "If you're having thoughts of hurting yourself, you can also call or text 988 (Suicide & "
        "Crisis Lifeline) to talk to someone now."
    ),
    "cauda_equina": (
        "Back pain with numbness between the legs, new bladder or bowel problems, or leg weakness "
        "needs to be checked at an emergency department today."
    ),
    "urgent_report": (
        "Because your report or doctor said it was urgent or critical, contact the doctor who "
        "ordered the scan now. If you can't reach them, go to the emergency department."
    ),
}
_AFTERWARDS: Final = "I'll be here to help with the second opinion once you're safe."


def emergency_guidance(category: str | Sequence[str] | None) -> str:
    """Emergency-first wording for one category or several (advice for each, in order).

    The instruction to call 911 always comes first, whatever the categories. Worded here, not in
    domain.yml: the Telegram bridge sends it itself, before Rasa answers or when Rasa is down.
    """
    categories = [category] if isinstance(category, str) else list(category or ())
    only_report = categories == ["urgent_report"]
    first = _URGENT_REPORT_FIRST if only_report else _EMERGENCY_FIRST
    advice = [_CATEGORY_ADVICE[c] for c in dict.fromkeys(categories) if c in _CATEGORY_ADVICE]
    return " ".join([first, *advice, _AFTERWARDS])


# Everyday words that make a short capitalised phrase a sentence rather than a person's name
# ("Cant Go On", "Help Me", "Chest Hurts"). A surname that is also such a word ("John Hurt") is
# read as a sentence: a needless emergency message is the safe mistake.
_SENTENCE_TEXT = """
    i im me my myself you your he she his her it its we they them our us this that these those
    a an the and or but so if no not never nothing cant can could cannot wont will would dont do
    does did is am are was were be been have has had go going gone want wanted need help please
    die dying dead kill end ending over anymore longer live living breathe breathing hurt hurts
    hurting pain painful bleed bleeding blood chest head face arm arms leg legs side sudden
    suddenly now today tonight still again worse worst bad very really just all up down out on off
    in at to of for with from feel feeling felt numb weak dizzy sick collapse collapsed fell
    fainted fainting passed seizure stroke attack heart suicide suicidal overdose pills
"""
_SENTENCE_WORDS = frozenset(_SENTENCE_TEXT.split())
_NAME_WORD = re.compile(r"[A-Z\u00C0-\u00DE][a-z\u00DF-\u00FF'\-]*(?:[A-Z][a-z\u00DF-\u00FF'\-]+)?")


def reads_as_a_name(text: str | None) -> bool:
    """2-4 capitalised words with no everyday sentence word: "Grace Faint", "Robert Payne".

    Used only where a name was asked for and the keyword net found no emergency, so that a
    surname that sounds like a symptom is not taken for one."""
    words = (text or "").split()
    if not 2 <= len(words) <= 4:
        return False
    for word in words:
        if not _NAME_WORD.fullmatch(word):
            return False
        if word.lower().replace("'", "").replace("\u2019", "") in _SENTENCE_WORDS:
            return False
    return True
