"""The words of radiology reports this reader knows: kinds of finding, organs, sites, sides.

Each kind is a normalized name with the surface forms radiologists write; the order matters
where one form contains another ("ground-glass opacity" before "opacity"). Kinds in the same
family ("nodule", "mass", "lesion") may be the same thing named differently by two readers.
"""

from __future__ import annotations

import re

# normalized kind → regex of its surface forms (lower-case text)
KINDS: tuple[tuple[str, str], ...] = (
    ("ground-glass opacity", r"ground[- ]glass (?:opacit(?:y|ies)|nodules?)|ggos?"),
    ("pulmonary embolism", r"pulmonary embol(?:us|i|ism)|\bpe\b"),
    ("pneumothorax", r"pneumothorax|pneumothoraces"),
    ("effusion", r"effusions?"),
    ("consolidation", r"consolidations?|pneumonia|airspace disease"),
    ("atelectasis", r"atelectasis|atelectatic"),
    ("emphysema", r"emphysema(?:tous)?"),
    ("opacity", r"opacit(?:y|ies)|infiltrates?"),
    ("microcalcifications", r"micro-?calcifications?"),
    ("calcification", r"calcifications?|calcified granulomas?|granulomas?"),
    ("architectural distortion", r"architectural distortion"),
    ("asymmetry", r"(?:focal |global |developing )?asymmetr(?:y|ies)"),
    ("lymph node", r"lymphadenopathy|adenopathy|(?:enlarged |pathologic(?:al)? )?lymph nodes?"),
    ("nodule", r"nodules?|nodular (?:density|opacity)"),
    ("mass", r"mass(?:es)?|tumou?rs?|neoplasms?"),
    ("cyst", r"cysts?|cystic lesions?"),
    ("metastasis", r"metasta(?:sis|ses|tic disease)"),
    ("lesion", r"lesions?|foc(?:us|i) of (?:uptake|enhancement)"),
    ("uptake", r"(?:hypermetabolic|fdg[- ]avid|increased) (?:activity|uptake)|hypermetabolism"),
    ("infarct", r"infarcts?|infarctions?"),
    ("hemorrhage", r"ha?emorrhages?|bleed(?:ing)?|hematomas?|haematomas?"),
    ("white matter hyperintensities", r"white matter (?:hyperintensit(?:y|ies)|changes|lesions)"),
    ("mass effect", r"mass effect|midline shift"),
    ("aneurysm", r"aneurysms?"),
    ("stenosis", r"stenos(?:is|es)|narrowing"),
    ("disc herniation", r"(?:disc |disk )?(?:herniations?|protrusions?|extrusions?)|herniated"),
    ("fracture", r"fractures?|fx"),
    ("tear", r"tears?|torn"),
    ("bone marrow edema", r"(?:bone )?marrow o?edema|bone bruises?|contusions?"),
    ("cartilage loss", r"chondral (?:loss|defects?|thinning)|cartilage (?:loss|thinning|defects?)|"
                       r"chondromalacia"),
    ("edema", r"o?edema"),
    ("stone", r"stones?|calculi|calculus|nephrolithiasis|cholelithiasis"),
    ("hydronephrosis", r"hydronephrosis"),
    ("appendicitis", r"appendicitis"),
    ("diverticulitis", r"diverticulitis"),
    ("steatosis", r"steatosis|fatty (?:infiltration|liver)"),
    ("thickening", r"(?:wall |pleural |septal )?thickening"),
    ("thrombus", r"thromb(?:us|i|osis)|clots?"),
    ("dilatation", r"dilat(?:ation|ion)|ectasia"),
    ("hernia", r"hernias?"),
)
# A kind and its subtype: "no calcifications" rules out microcalcifications too.
SUBTYPES: tuple[frozenset[str], ...] = (
    frozenset({"calcification", "microcalcifications"}),
    frozenset({"bone marrow edema", "edema"}),
)
FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"nodule", "mass", "lesion", "cyst", "metastasis", "uptake", "opacity",
               "ground-glass opacity"}),
    frozenset({"consolidation", "opacity", "atelectasis"}),
    frozenset({"calcification", "microcalcifications"}),
    frozenset({"bone marrow edema", "edema"}),
)

ORGANS: tuple[tuple[str, str], ...] = (
    ("lymph nodes", r"lymph|nodal|mediastinal nodes?|axillary|hilar"),
    ("pleura", r"pleura[l]?"),
    ("lung", r"lungs?|pulmonary|lobes? of the lung|(?:upper|middle|lower) lobe|lingula|"
             r"\b(?:rul|rml|rll|lul|lll)\b|perifissural|subpleural|apical|bronch\w*"),
    ("heart", r"heart|cardiac|pericardial|pericardium|coronary"),
    ("aorta", r"aort(?:a|ic)"),
    ("liver", r"liver|hepatic|hepato\w*"),
    ("gallbladder", r"gallbladder|biliary|cholecyst\w*"),
    ("pancreas", r"pancrea\w*"),
    ("spleen", r"spleen|splenic"),
    ("adrenal", r"adrenals?"),
    ("kidney", r"kidneys?|renal|nephro\w*|ureter\w*"),
    ("bladder", r"bladder"),
    ("bowel", r"bowel|colon|colonic|appendix|appendic\w*|diverticul\w*|intestin\w*"),
    ("thyroid", r"thyroid|isthmus"),
    ("breast", r"breasts?|retroareolar|subareolar|o'?clock|quadrant"),
    ("brain", r"brain|cerebr\w*|cerebell\w*|frontal|parietal|temporal|occipital|"
              r"periventricular|white matter|intracranial|ventric\w*|basal ganglia|thalam\w*"),
    ("meniscus", r"menisc(?:us|al|i)"),
    ("cruciate ligament", r"cruciate|\bacl\b|\bpcl\b"),
    ("collateral ligament", r"collateral ligament|\bmcl\b|\blcl\b"),
    ("cartilage", r"cartilage|chondral|patellofemoral"),
    ("knee joint", r"knee|joint|suprapatellar"),
    ("spine", r"spin(?:e|al)|lumbar|cervical|thoracic spine|vertebra\w*|\b[ctl]\d{1,2}\b|"
              r"foramina\w*|disc|disk"),
    ("bone", r"bones?|osseous|femur|femoral|tibia\w*|rib|ribs|pelvi\w*|skeletal"),
    ("ovary", r"ovar(?:y|ies|ian)|adnex\w*"),
    ("uterus", r"uter(?:us|ine)|endometri\w*"),
    ("prostate", r"prostat\w*"),
)

SITE_PATTERNS: tuple[str, ...] = (
    r"(?:right|left) (?:upper|middle|lower) lobe",
    r"\b(?:rul|rml|rll|lul|lll)\b",
    r"lingula",
    r"segment (?:[ivx]+|\d{1,2})",
    r"(?:upper|lower) (?:outer|inner) quadrant",
    r"\d{1,2}(?::\d\d)? ?o'?clock",
    r"(?:(?:anterior|posterior) horn (?:of the )?)?(?:medial|lateral) meniscus|"
    r"(?:anterior|posterior) horn",
    r"(?:spinal|central) canal|(?:neural )?foram(?:en|ina)\w*",
    r"\b[ctl]\d{1,2}(?: ?[-/] ?[ctls]?\d{1,2})?\b",
    r"(?:frontal|parietal|temporal|occipital) lobe",
    r"(?:right|left) (?:thyroid )?lobe|isthmus",
    r"(?:medial|lateral) (?:femoral condyle|tibial plateau|compartment)",
    r"(?:head|body|tail) of the pancreas|pancreatic (?:head|body|tail)",
)
_LOBE_SIDE = {"rul": "right", "rml": "right", "rll": "right", "lul": "left", "lll": "left"}
_SIDE = re.compile(r"\b(right|left|bilateral(?:ly)?|both)\b|\b(rul|rml|rll|lul|lll)\b")
SIDE_WORD = _SIDE

KIND_PATTERNS = tuple((kind, re.compile(rf"\b(?:{forms})\b")) for kind, forms in KINDS)
ORGAN_PATTERNS = tuple((organ, re.compile(rf"\b(?:{forms})")) for organ, forms in ORGANS)
SITE = re.compile("|".join(f"(?:{p})" for p in SITE_PATTERNS))


def side_in(text: str) -> str | None:
    match = _SIDE.search(text)
    if match is None:
        return None
    if match.group(2):
        return _LOBE_SIDE[match.group(2)]
    word = match.group(1)
    return "bilateral" if word.startswith(("bilateral", "both")) else word


def same_family(a: str, b: str) -> bool:
    return a == b or any(a in family and b in family for family in FAMILIES)


def subtype_of(a: str, b: str) -> bool:
    """One kind is the other or its subtype (they are one finding in one report)."""
    return a == b or any(a in pair and b in pair for pair in SUBTYPES)


def sites_compatible(a: str | None, b: str | None) -> bool:
    """ "medial meniscus" and "posterior horn of the medial meniscus" are one place."""
    return a is None or b is None or a in b or b in a


def organ_in(text: str) -> str | None:
    """The first organ named in the text (by the order of ORGANS, most specific first)."""
    for organ, pattern in ORGAN_PATTERNS:
        if pattern.search(text):
            return organ
    return None


_SITE_NAMES = (
    ("foram", "neural foramen"),
    ("central canal", "spinal canal"),
    ("head of the pancreas", "pancreatic head"),
    ("body of the pancreas", "pancreatic body"),
    ("tail of the pancreas", "pancreatic tail"),
)


def site_name(site: str | None) -> str | None:
    """One name per place: "foraminal", "neural foramina" → "neural foramen"."""
    if site is None:
        return None
    return next((name for stem, name in _SITE_NAMES if stem in site), site)
