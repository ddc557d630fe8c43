import { subdivisions } from "./iso-3166.js";

/**
 * Subdivision names as databases without ISO 3166-2 codes write them (DB-IP Lite City's `state1`,
 * in English), turned into ISO 3166-2 codes. ISO's own names are transliterations ("Donetska
 * oblast", "Moskovskaya oblast'"), so an English name is matched by its stem, and the names whose
 * stem differs from ISO's are listed here.
 */
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  UA: {
    crimea: "UA-43", "autonomous republic of crimea": "UA-43", krym: "UA-43",
    sebastopol: "UA-40", sevastopol: "UA-40",
    kyiv: "UA-30", kiev: "UA-30",
    "kyiv oblast": "UA-32", "kiev oblast": "UA-32",
    vinnitsa: "UA-05", vinnytsia: "UA-05", vinnytsya: "UA-05",
    volyn: "UA-07",
    luhansk: "UA-09", lugansk: "UA-09",
    donetsk: "UA-14",
    zhytomyr: "UA-18",
    transcarpathia: "UA-21", zakarpattia: "UA-21",
    zaporizhzhia: "UA-23", zaporizhia: "UA-23", zaporizhzhya: "UA-23", zaporozhye: "UA-23",
    lviv: "UA-46",
    mykolaiv: "UA-48", mykolayiv: "UA-48",
    odesa: "UA-51", odessa: "UA-51",
    rivne: "UA-56",
    kharkiv: "UA-63",
    kherson: "UA-65",
    khmelnytskyi: "UA-68", khmelnytskyy: "UA-68",
    chernivtsi: "UA-77",
  },
  RU: {
    moscow: "RU-MOW", "moscow oblast": "RU-MOS",
    "st petersburg": "RU-SPE", "saint petersburg": "RU-SPE", leningrad: "RU-LEN", leningradskaya: "RU-LEN",
    altai: "RU-AL", "altay kray": "RU-ALT", "altai krai": "RU-ALT",
    arkhangelsk: "RU-ARK", chechnya: "RU-CE", chuvashia: "RU-CU", chuvash: "RU-CU", chukotka: "RU-CHU",
    ingushetiya: "RU-IN", "kabardino balkariya": "RU-KB", "kabardino balkaria": "RU-KB", "karachayevo cherkesiya": "RU-KC",
    kaluga: "RU-KLU", karelia: "RU-KR", "khanty mansia": "RU-KHM", kuzbass: "RU-KEM", "jewish autonomous": "RU-YEV",
    "mariy el": "RU-ME", nenets: "RU-NEN", "nizhny novgorod": "RU-NIZ", "north ossetia": "RU-SE", "north ossetia alania": "RU-SE",
    novosibirsk: "RU-NVS", oryol: "RU-ORL", orel: "RU-ORL", primorye: "RU-PRI", kamchatka: "RU-KAM", "primorskiy maritime": "RU-PRI", sakha: "RU-SA",
    stavropol: "RU-STA", tula: "RU-TUL", tver: "RU-TVE", udmurtiya: "RU-UD", ulyanovsk: "RU-ULY", vladimir: "RU-VLA",
    volgograd: "RU-VGG", vologda: "RU-VLG", voronezh: "RU-VOR", voronezj: "RU-VOR", "yamalo nenets": "RU-YAN", jaroslavl: "RU-YAR",
    yaroslavl: "RU-YAR", transbaikal: "RU-ZAB", "zabaykalskiy transbaikal": "RU-ZAB", zabaykalsky: "RU-ZAB", tyumen: "RU-TYU", perm: "RU-PER",
  },
};

/**
 * Some databases file parts of Ukraine under RU. ISO 3166 and the rules name them as parts of UA
 * (UA-43, UA-40, …), so a name that is a Ukrainian subdivision's is read as that subdivision.
 */
const FILED_UNDER_OTHER_COUNTRY: Readonly<Record<string, readonly string[]>> = { RU: ["UA"] };

/** Lower case, no accents, apostrophes or parentheses, single spaces. */
export function simplify(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[’'ʼ`.]/g, "")
    .replace(/\(.*?\)/g, " ")
    .replace(/[-–—,_/]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** As `simplify`, without the generic words (oblast, kray, republic, city…). */
function normalize(name: string): string {
  return simplify(name)
    .replace(/\b(oblast|oblast'|kray|krai|respublika|republic|autonomous okrug|avtonomnyy okrug|avtonomnaya|city|territory|state of|province|region)\b/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

interface Stems {
  readonly all: readonly { code: string; stem: string; plain: string }[];
  readonly byCountry: ReadonlyMap<string, readonly { code: string; stem: string }[]>;
}

let stems: Stems | undefined;

/** Built on the first name looked up, not at import: most sites' databases carry codes, not names. */
function isoStems(): Stems {
  if (stems) return stems;
  const all = subdivisions.map((s) => ({ code: s.code, stem: normalize(s.name), plain: simplify(s.name) }));
  const byCountry = new Map<string, { code: string; stem: string }[]>();
  subdivisions.forEach((s, i) => {
    // Top-level subdivisions only: a district of Nakhchivan is not a name a database gives for AZ.
    if (s.parent.length !== 2) return;
    const list = byCountry.get(s.parent) ?? [];
    list.push(all[i]!);
    byCountry.set(s.parent, list);
  });
  return (stems = { all, byCountry });
}

/** A listed name's code: names and countries come from a database, and "constructor" is no entry of a list. */
function aliasOf(aliases: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(aliases, name) ? aliases[name] : undefined;
}

function aliasesOf(country: string): Readonly<Record<string, string>> {
  return Object.hasOwn(ALIASES, country) ? ALIASES[country]! : {};
}

function within(country: string, name: string): string | null {
  const wanted = normalize(name);
  if (!wanted) return null;
  // "Moscow Oblast" is not "Moscow": the whole name first, then without the generic words.
  const aliases = aliasesOf(country);
  const alias = aliasOf(aliases, simplify(name)) ?? aliasOf(aliases, wanted);
  if (alias) return alias;
  const list = isoStems().byCountry.get(country) ?? [];
  const exact = list.find((s) => s.stem === wanted);
  if (exact) return exact.code;
  // "Kursk" for "Kurskaya oblast'", "Poltava" for "Poltavska oblast": the English name, less a final
  // vowel, starts the transliterated one. Only a single candidate counts; two would be a guess.
  if (wanted.length < 4) return null;
  const first = wanted.split(" ")[0]!.replace(/[aeiouy]$/, "");
  const stems = list.filter((s) => s.stem.startsWith(first));
  return stems.length === 1 ? stems[0]!.code : null;
}

/**
 * The ISO 3166-2 code for a subdivision name in `country`, or null when the name is not known. A
 * name that belongs to another country's subdivision (Crimea filed under RU) gives that code.
 */
export function subdivisionCodeByName(country: string, name: string): string | null {
  const own = within(country, name);
  if (own) return own;
  for (const other of (Object.hasOwn(FILED_UNDER_OTHER_COUNTRY, country) ? FILED_UNDER_OTHER_COUNTRY[country]! : [])) {
    const code = within(other, name);
    if (code) return code;
  }
  return null;
}

/**
 * Every subdivision, of any country, that `name` names exactly: an ISO name, the same less its
 * generic words ("Donetska" for "Donetska oblast"), or a listed English name ("Crimea"). For a
 * reviewer who types a name rather than a code; a name of several (Georgia) gives them all.
 */
export function subdivisionsNamed(name: string): string[] {
  const plain = simplify(name);
  const wanted = normalize(name);
  if (!wanted) return [];
  const found = new Set<string>();
  for (const aliases of Object.values(ALIASES)) {
    const alias = aliasOf(aliases, plain) ?? aliasOf(aliases, wanted);
    if (alias) found.add(alias);
  }
  for (const s of isoStems().all) if (s.stem === wanted || s.plain === plain) found.add(s.code);
  return [...found].sort();
}
