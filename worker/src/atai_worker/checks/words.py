"""Word lists the checks share: function words, number words, months, weekdays, titles.

Every entry is folded (lower case, no diacritics) the way text.fold() folds the text it is compared with.
English, French, Spanish and German are covered; other languages fall back to the language-neutral parts
(digits, capitals, links), which is where most facts live anyway.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that carry no claim of their own: a sentence is judged by the rest (supported.py), and a
# capitalised one at the start of a sentence or a name is not part of the name (names.py).
FUNCTION_WORDS = _words("""
a about above across after afterwards again against ago all almost alone along already also although always
am among amongst an and another any anyone anything anyway anywhere are around as at back be became because
become becomes been before being below beside besides between beyond both but by can cannot could did do does
doing done down due during each either else elsewhere enough even ever every everyone everything except few
for former formerly from further had has have having he hence her here hers herself him himself his how
however i if in indeed instead into is it its itself just last later least less like many may me meanwhile
might mine more moreover most mostly much must my myself neither never nevertheless next no nobody none nor not
nothing now of off often on once one only onto or other others otherwise our ours ourselves out over own per
perhaps quite rather really same several she should since so some somehow someone something sometimes still
such than that the their theirs them themselves then there thereby therefore these they this those though
through throughout thus to together too toward towards under until up upon us very via was we well were what
whatever when whenever where whereas wherever whether which while who whoever whole whom whose why will with
within without would yet you your yours yourself yourselves
mr mrs ms dr st
le la les un une des du de d l au aux et ou mais donc or ni car ce cet cette ces son sa ses leur leurs
il elle ils elles on nous vous je tu qui que quoi dont ou est sont etait etaient a ont avait ete etre avoir
fait faire pour par dans sur sous avec sans entre vers chez plus moins tres aussi ne pas se sa y en
selon a-t-il a-t-elle dit declare explique
el la los las un una unos unas del al y o pero que quien cual como cuando donde es son fue fueron ha han
habia ser estar esta estan este esta estos estas ese esa para por con sin sobre entre hacia desde hasta
mas muy tambien no se su sus lo le les nos
der die das den dem des ein eine einen einem einer eines und oder aber dass wie wo wer was ist sind war
waren hat haben hatte wird werden wurde wurden sein ihr ihre ihrem ihren ihres im am zum zur vom beim ins
fur mit ohne auf aus bei nach von vor zu uber unter zwischen durch gegen auch noch schon sehr nicht kein
keine sich es er sie wir man so sagte sagt erklarte laut
""")

# Words of any report: they neither support nor count against a sentence (supported.py), though they
# do tell which number is which ("seven years", faithful.py).
GENERIC_WORDS = _words("""
said says say saying told tell according added adding noted stated explained asked
week weeks year years month months day days today yesterday tomorrow time times
new also just like make made get got going go went way ways lot lots thing things part
""")

# Capitalised at the start of a sentence they are ordinary words, not the start of a name.
SENTENCE_STARTERS = FUNCTION_WORDS | _words("""
but and so yet still however meanwhile instead later earlier then now today yesterday tomorrow last next
after before during while when where what why how who which although though despite since until unless
officials residents police authorities experts critics analysts researchers scientists fans supporters
voters shares prices sales profits revenue investors workers staff
""")

# Words that come before a name without being part of it.
TITLES = _words("""
mr mrs ms miss dr prof professor sir dame lord lady president vice minister prime chancellor mayor councillor
councilor senator sen governor gov judge justice king queen prince princess pope archbishop bishop father
general gen colonel col captain capt lieutenant lt sergeant sgt officer detective inspector superintendent
chief executive ceo cfo coo director secretary chairman chairwoman chair coach manager spokesman spokeswoman
spokesperson deputy acting former interim head leader founder owner president-elect representative rep
monsieur m mme mlle madame senor senora sr sra don dona herr frau burgermeister burgermeisterin ministerin
prasident prasidentin trainer trainerin
""")

# Lower-case words that may sit inside a name: "Bank of England", "Ana de la Cruz", "Ludwig van Beethoven".
NAME_CONNECTORS = _words("of the de del della di da das do dos du des la le van von der den ter al el bin bint &")

# Place adjectives whose stem is not the place's: the rest ("Brazilian", "Canadian") share a prefix.
DEMONYMS = {
    "french": "france", "dutch": "netherlands", "british": "britain", "swiss": "switzerland", "welsh": "wales",
    "scottish": "scotland", "scots": "scotland", "irish": "ireland", "spanish": "spain", "danish": "denmark",
    "swedish": "sweden", "finnish": "finland", "polish": "poland", "greek": "greece", "chinese": "china",
    "japanese": "japan", "portuguese": "portugal", "english": "england", "turkish": "turkey", "thai": "thailand",
    "filipino": "philippines", "norwegian": "norway", "belgian": "belgium", "icelandic": "iceland",
}

CARDINALS = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11,
    "douze": 12, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50,
    "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwolf": 12, "zwanzig": 20, "dreissig": 30, "vierzig": 40, "funfzig": 50,
}
# Too common as plain words ("one of the", "first time") to be a fact on their own; they still count
# as values in the source, so "1" in a draft is found in a source that says "one".
WEAK_NUMBER_WORDS = {"one": 1, "a": 1, "an": 1, "first": 1, "second": 2, "half": 0.5, "un": 1, "une": 1,
                     "uno": 1, "una": 1, "ein": 1, "eine": 1, "premier": 1, "primero": 1, "erste": 1}
ORDINALS = {
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "twentieth": 20,
    "thirtieth": 30, "hundredth": 100,
}
SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9,
    "trillion": 1e12, "mn": 1e6, "bn": 1e9, "tn": 1e12, "mio": 1e6, "mrd": 1e9, "mil": 1e3,
    "millionen": 1e6, "milliarde": 1e9, "milliarden": 1e9, "milliard": 1e9, "milliards": 1e9,
    "millon": 1e6, "millones": 1e6, "billon": 1e12, "billones": 1e12, "tausend": 1e3, "mille": 1e3,
    "cien": 1e2, "hundert": 1e2,
}
# One letter after a figure is a scale in "$5m" and a unit in "5m wall": both readings are kept.
AMBIGUOUS_SCALES = {"m": 1e6, "k": 1e3, "b": 1e9}

PERCENT_WORDS = ("percent", "per cent", "pc", "pct", "prozent", "por ciento", "pour cent", "pourcent")
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_PREFIXES = {"us$": "USD", "a$": "AUD", "c$": "CAD", "nz$": "NZD", "usd": "USD", "eur": "EUR", "gbp": "GBP",
                     "chf": "CHF", "rs": "INR", "sfr": "CHF"}
CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "usd": "USD", "euro": "EUR", "euros": "EUR", "eur": "EUR",
    "pound": "GBP", "pounds": "GBP", "gbp": "GBP", "sterling": "GBP", "yen": "JPY", "jpy": "JPY",
    "francs": "CHF", "franken": "CHF", "rupees": "INR", "pesos": "MXN", "cents": "cent", "pence": "pence",
}

MONTHS = {}
for _number, _names in enumerate((
        "january jan janvier enero januar",
        "february feb fevrier febrero februar",
        "march mar mars marzo marz",
        "april apr avril abril",
        "may mai mayo",
        "june jun juin junio juni",
        "july jul juillet julio juli",
        "august aug aout agosto",
        "september sep sept septembre septiembre",
        "october oct octobre octubre oktober",
        "november nov novembre noviembre",
        "december dec decembre diciembre dezember", ), start=1):
    for _name in _names.split():
        MONTHS[_name] = _number
# Months that are also ordinary words: counted only when written with a capital ("May", "March").
MONTHS_NEED_CAPITAL = _words("mar may jun jul aug sep sept oct nov dec jan feb apr march")

WEEKDAYS = {}
for _number, _names in enumerate((
        "monday lundi lunes montag",
        "tuesday mardi martes dienstag",
        "wednesday mercredi miercoles mittwoch",
        "thursday jeudi jueves donnerstag",
        "friday vendredi viernes freitag",
        "saturday samedi sabado samstag sonnabend",
        "sunday dimanche domingo sonntag", )):
    for _name in _names.split():
        WEEKDAYS[_name] = _number

# "about 6.5 billion" for a source's 6,512 million is rounding, not a change.
HEDGES = _words("about around roughly nearly almost approximately some over under more less estimated circa "
                "environ presque quelque unos unas casi aproximadamente cerca etwa rund knapp fast ungefahr")
