/**
 * The preview page's only style sheet, served by the router itself (no CDN, nothing inline, so the
 * page's policy can forbid inline styles). Kept in a module so the compiled package carries it.
 */
export const PREVIEW_CSS = `
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --line: #c8c8c8; --accent: #0b57d0; --warn: #b3261e; --focus: #ffbf47; }
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
body { margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--ink); outline-offset: 2px; box-shadow: 0 0 0 6px var(--focus); }
.skip { position: absolute; left: -999em; top: 0; }
.skip:focus { left: 8px; top: 8px; z-index: 10; background: #fff; padding: 6px 10px; }
header, main, footer { padding: 12px 20px; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.15rem; margin: 0 0 8px; }
h3 { font-size: 1rem; margin: 14px 0 4px; }
.intro { margin: 4px 0 0; color: var(--muted); }
.field { display: flex; flex-direction: column; min-width: 12em; flex: 1 1 12em; }
/* The fields' labels, controls, errors and help each share a row across the form (subgrid), so the
   controls line up whatever wraps above or below them; the button has a row of its own. */
form.pick { display: grid; grid-template-columns: repeat(auto-fit, minmax(15em, 1fr)); column-gap: 16px; row-gap: 2px; margin-bottom: 16px; }
form.pick .field { display: grid; grid-template-rows: subgrid; grid-row: span 4; min-width: 0; }
form.pick .field > label { grid-row: 1; align-self: end; }
form.pick .field > input, form.pick .field > select { grid-row: 2; width: 100%; min-width: 0; }
form.pick .field > .error { grid-row: 3; }
form.pick .field > .help { grid-row: 4; margin-bottom: 10px; }
form.pick > button { grid-column: 1 / -1; justify-self: start; }
.field label { font-weight: 600; }
.help { margin: 2px 0 0; font-size: .85rem; color: var(--muted); }
.error { margin: 4px 0 0; color: var(--warn); font-weight: 600; }
input, select, button { font: inherit; padding: 6px 8px; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--ink); min-height: 2.4em; }
input[aria-invalid="true"] { border-color: var(--warn); border-width: 2px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; font-weight: 600; }
button.quiet { background: #fff; color: var(--accent); }
.result { display: grid; grid-template-columns: minmax(16em, 1fr) 2fr; gap: 16px; align-items: start; }
.trace, .frame, .regions { border: 1px solid var(--line); border-radius: 6px; padding: 12px; min-width: 0; }
.trace dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.trace dt { font-weight: 600; }
.trace dd { margin: 0; overflow-wrap: anywhere; }
.trace ul, .trace ol, .regions ul { margin: 4px 0; padding-left: 1.3em; }
.notice-text { border-left: 4px solid #b58900; background: #fff8e1; padding: 6px 10px; margin: 6px 0; }
.notice-text p { margin: .3em 0; }
.frame iframe { width: 100%; height: 70vh; min-height: 420px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.regions { margin-top: 16px; }
.regions li { margin: 4px 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .95em; }
.login { max-width: 28em; }
.login .field { margin-bottom: 12px; }
footer { border-top: 1px solid var(--line); color: var(--muted); font-size: .9rem; }
@media (max-width: 760px) {
  header, main, footer { padding: 10px 12px; }
  .result { grid-template-columns: 1fr; }
  .frame iframe { height: 60vh; min-height: 320px; }
}
`;
