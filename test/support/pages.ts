/** A small article page written for the tests. */
export const ARTICLE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Test article</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
</head>
<body class="article">
<h1>Ferry timetable changes</h1>
<p>Crossings run twice a day — «quoted» text, ünïcödé.</p>
</body>
</html>
`;

export function countNotices(html: string): number {
  return html.split("data-geo-compliance-notice=").length - 1;
}
