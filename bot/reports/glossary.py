"""Plain words next to report words: what a term names, never what it means for the patient.

Written for patients, checked against common radiology usage; each entry describes the word,
not a diagnosis. A term not listed is shown as the report wrote it.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "nodule": "a small, roundish spot (usually under 3 cm)",
    "mass": "a lump or area of tissue, usually larger than a nodule",
    "lesion": "a general word for an area that looks different from the tissue around it",
    "cyst": "a fluid-filled sac",
    "ground-glass opacity": "a hazy area in the lung that is less dense than solid tissue",
    "opacity": "an area that looks whiter (denser) than expected on the image",
    "consolidation": "lung air spaces filled with fluid or tissue instead of air",
    "atelectasis": "a part of the lung that is partly collapsed or not fully filled with air",
    "effusion": "extra fluid collected in a space (around the lung, in a joint)",
    "pneumothorax": "air between the lung and the chest wall",
    "emphysema": "damage to the small air sacs of the lungs",
    "pulmonary embolism": "a blood clot in an artery of the lung",
    "lymph node": "a small bean-shaped gland of the immune system",
    "calcification": "a small deposit of calcium, bright on the image",
    "microcalcifications": "very small calcium deposits, as seen on a mammogram",
    "asymmetry": "an area that looks different from the same area of the other side",
    "architectural distortion": "tissue that looks pulled or distorted, without a clear mass",
    "metastasis": "a spot of a cancer that has spread from where it started",
    "uptake": "where the tracer of a PET or nuclear scan collects more than around it",
    "infarct": "an area of tissue damaged because its blood supply was blocked",
    "hemorrhage": "bleeding",
    "white matter hyperintensities": "bright spots in the brain's white matter on MRI",
    "mass effect": "something pushing on the tissue around it",
    "aneurysm": "a bulge in the wall of a blood vessel",
    "stenosis": "narrowing of a passage (a blood vessel, the spinal canal, a nerve opening)",
    "disc herniation": "disc material pushed out beyond its normal edge in the spine",
    "fracture": "a break or crack in a bone",
    "tear": "a rip in a tendon, ligament, meniscus or other tissue",
    "bone marrow edema": "extra fluid inside a bone, for example from a bone bruise",
    "cartilage loss": "thinning or wear of the smooth cartilage covering the joint",
    "edema": "swelling from extra fluid in the tissue",
    "stone": "a hard deposit, for example in the kidney or the gallbladder",
    "hydronephrosis": "swelling of a kidney because urine does not drain normally",
    "appendicitis": "inflammation of the appendix",
    "diverticulitis": "inflammation of small pouches in the bowel wall",
    "steatosis": "fat stored in the liver",
    "thickening": "a wall or layer that is thicker than usual",
    "thrombus": "a blood clot",
    "dilatation": "widening of a tube or space",
    "hernia": "tissue pushing through a weak spot in a wall that normally holds it in",
    "BI-RADS": "the breast imaging category, 0 to 6 (how likely a finding needs follow-up)",
    "LI-RADS": "the liver category for people at risk of liver cancer, 1 to 5",
    "Lung-RADS": "the lung screening category, 1 to 4",
    "PI-RADS": "the prostate MRI category, 1 to 5",
    "TI-RADS": "the thyroid nodule category, 1 to 5",
    "O-RADS": "the ovary and adnexa category, 0 to 5",
}


def plain_words(term: str) -> str | None:
    return GLOSSARY.get(term)
