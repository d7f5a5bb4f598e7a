// The page's words in Bahasa Indonesia (first) and English. The two tables live in
// i18n/id.json and i18n/en.json; a test checks they have the same keys.
// Fetched with top-level await rather than imported as JSON modules: JSON module imports
// need Chrome 123+, and members' phones are often older.
const load = (lang) => fetch(new URL(`./i18n/${lang}.json`, import.meta.url)).then((r) => r.json());
const [id, en] = await Promise.all([load('id'), load('en')]);

const TEXTS = { id, en };
const LANG = 'ksp.lang';  // localStorage: 'id' | 'en'

export function storedLang() {
  return localStorage.getItem(LANG) === 'en' ? 'en' : 'id';
}

export function saveLang(lang) {
  localStorage.setItem(LANG, lang);
}

export function has(lang, key) {
  return Object.hasOwn(TEXTS[lang], key);
}

// A missing English text falls back to Indonesian, then to the key itself.
export function translate(lang, key, vars = {}) {
  const text = TEXTS[lang][key] ?? TEXTS.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}
