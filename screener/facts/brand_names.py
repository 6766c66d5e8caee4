"""US brand names the form's medication list offers for the ingredients of the class tables (a curated list).

The drug-name library recognises about 107,000 names, and recognising them all is right: a chart may say
anything. Offering them all as suggestions is not: beside real brands they hold foreign and Latin spellings
(carbamazepina, dexamethasonum), chemical synonyms (kendall's compound e), fragments ("ears and nose",
"and veldex", "sone", "prdl"), veterinary products and regional generics. So the form offers only real names:
our cited table (criteria/tables/medications.yaml), the class tables' own ingredients, the library's consumer
lists (MedlinePlus/NHS generics and brands, see drug_index.from_library), and these brands. Each is a brand
name on US labelling (DailyMed / Drugs@FDA) of a systemic corticosteroid or a CYP3A4 inhibitor or inducer in
criteria/tables; tests/test_medications.py checks that each resolves to such an ingredient, so the list can
only offer names the screening recognises as in their class. Listing a name here changes no screening result.
"""

BRANDS = (
    # systemic corticosteroids
    "decadron", "hexadrol", "dexpak", "medrol", "solu-medrol", "deltasone", "rayos", "orapred", "pediapred", "millipred",
    "flo-pred", "kenalog", "aristocort", "celestone", "hydrocortone", "cortone acetate",
    # CYP3A4 inhibitors
    "kaletra", "paxlovid", "norvir", "biaxin", "sporanox", "onmel", "vfend", "noxafil", "nizoral", "diflucan", "ketek",
    "serzone", "viracept", "crixivan", "invirase", "aptivus", "tybost", "prezcobix", "evotaz", "symtuza",
    "zydelig", "zykadia", "technivie", "multaq", "emend", "cinvanti", "cardizem", "tiazac", "cartia", "calan",
    "isoptin", "verelan", "gleevec", "xalkori", "erythrocin", "ery-tab", "eryped", "cipro",
    # CYP3A4 inducers
    "rifadin", "rimactane", "tegretol", "carbatrol", "equetro", "epitol", "mysoline", "xcopri", "lysodren",
    "xtandi", "erleada", "tracleer", "sustiva", "intelence", "tafinlar", "lorbrena", "tukysa", "lumakras",
    "tibsovo", "turalio", "orkambi",
)
