/**
 * A news page of about the size asked for, built the way real ones are: a head full of tags and
 * tracker snippets, a body of navigation, teasers with images and inline SVG, comments, JSON-LD,
 * social widgets and noscript pixels. Deterministic, so benchmarks and tests see the same bytes.
 */

export const TRACKER_HEAD = `<!-- Google Tag Manager -->
<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-TEST');</script>
<!-- End Google Tag Manager -->
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-TEST');
</script>
<script>
!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;
n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,
document,'script','https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '000000000000000');fbq('track', 'PageView');
</script>
<script type="text/javascript">
(function(m,e,t,r,i,k,a){m[i]=m[i]||function(){(m[i].a=m[i].a||[]).push(arguments)};
m[i].l=1*new Date();k=e.createElement(t),a=e.getElementsByTagName(t)[0],k.async=1,k.src=r,a.parentNode.insertBefore(k,a)})
(window, document, "script", "https://mc.yandex.ru/metrika/tag.js", "ym");
ym(12345678, "init", { clickmap:true, trackLinks:true, accurateTrackBounce:true });
</script>
<link rel="preconnect" href="https://www.google-analytics.com">
<link rel="dns-prefetch" href="//connect.facebook.net">
`;

const HEAD_START = `<!DOCTYPE html>
<html lang="en" class="no-js">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Northern Ledger — Rivers run low as the dry season lengthens</title>
<meta name="description" content="For the third summer in a row, the rivers that feed the northern valleys have fallen below the marks.">
<meta property="og:title" content="Rivers run low as the dry season lengthens">
<meta property="og:image" content="https://static.ledger.example/img/rivers-1200.jpg">
<link rel="canonical" href="https://ledger.example/articles/rivers-run-low">
<link rel="stylesheet" href="/static/site.css?v=20240811">
<link rel="preload" href="/static/fonts/serif.woff2" as="font" type="font/woff2" crossorigin>
<style>
  :root{--ink:#1b1b1b;--paper:#fdfcf8}
  body{margin:0;font:18px/1.6 Georgia,serif;color:var(--ink);background:var(--paper)}
  .teaser > a{display:grid;grid-template-columns:120px 1fr;gap:12px}
  a[href^="http"]:not([href*="ledger.example"])::after{content:" \\2197"}
</style>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Rivers run low as the dry season lengthens","datePublished":"2024-08-12T06:00:00+00:00","author":[{"@type":"Person","name":"Environment desk"}],"publisher":{"@type":"Organization","name":"The Northern Ledger","logo":{"@type":"ImageObject","url":"https://static.ledger.example/logo.png"}}}</script>
<script>document.documentElement.className = document.documentElement.className.replace("no-js", "js"); if (window.innerWidth < 600 && document.cookie.indexOf("m=1") < 0) { /* a < b && c > d */ }</script>
`;

const BODY_START = `</head>
<body class="article-page" data-section="environment">
<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-TEST" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>
<header class="masthead">
  <a class="logo" href="/" title="The Northern Ledger &mdash; home"><svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16v16H4z" fill="none" stroke="currentColor"/><style>.a{fill:red}</style></svg> The Northern Ledger</a>
  <nav aria-label="Sections">
    <a href="/world">World</a> <a href="/politics">Politics</a> <a href="/business">Business</a> <a href="/environment" aria-current="page">Environment</a>
    <a href="/culture">Culture</a> <a href="/sport">Sport</a> <a href="/opinion">Opinion</a> <a href="/newsletters">Newsletters</a>
  </nav>
</header>
<main id="content">
`;

function teaser(i: number): string {
  return `<article class="teaser" data-id="${1000 + i}" data-variant='{"layout":"row","image":true}'>
  <a href="/articles/story-${i}?utm_source=home&amp;utm_medium=teaser" data-track="teaser>click">
    <img src="/static/img/story-${i}-240.jpg" srcset="/static/img/story-${i}-240.jpg 1x, /static/img/story-${i}-480.jpg 2x" width="120" height="80" alt="Photo for story ${i}: the river at Harrow's Ford" loading="lazy">
    <h2>Story ${i}: councils publish weekly river readings as ferries cut crossings</h2>
  </a>
  <p>Farmers along the lower reaches say they have learned to plant earlier and water less, but the orchards on the terraces cannot move. "The trees remember every dry year," one grower told us, walking between rows of apple trees whose leaves had begun to curl in July. Hydrologists expect the winter snowpack to decide what happens next; a heavy winter would refill the reservoirs &amp; a thin one would not.</p>
  <!-- teaser ${i} end: <body> in a comment is not a tag -->
  <footer class="meta"><time datetime="2024-08-${String((i % 28) + 1).padStart(2, "0")}">${(i % 28) + 1} August</time> · <a href="/authors/desk-${i % 7}" rel="author">Environment desk</a> · <span class="comments" data-count="${i * 3}">${i * 3} comments</span></footer>
</article>
`;
}

const TRACKER_BODY = `<aside class="share">
<a href="https://twitter.com/intent/tweet?text=Rivers" class="twitter-share-button" data-show-count="false">Post</a>
<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>
<iframe src="https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fledger.example%2F&amp;layout=button" width="90" height="28" style="border:none;overflow:hidden" title="Like on Facebook"></iframe>
<img src="https://www.facebook.com/tr?id=000000000000000&amp;ev=PageView&amp;noscript=1" height="1" width="1" style="display:none" alt="">
<a href="/subscribe" ping="https://ping.chartbeat.net/ping?h=ledger.example">Subscribe</a>
</aside>
<noscript><div><img src="https://mc.yandex.ru/watch/12345678" style="position:absolute; left:-9999px;" alt="" /></div></noscript>
`;

const BODY_END = `</main>
<footer class="site-footer"><p>The Northern Ledger · an independent newsroom · <a href="/privacy">Privacy</a></p></footer>
<script src="/static/app.js?v=20240811" defer></script>
<script>window.addEventListener("load", function () { var x = 1; if (x < 2 && x > 0) { document.body.dataset.loaded = "1"; } });</script>
</body>
</html>
`;

export interface NewsPageOptions {
  /** Tracker snippets, pixels and widgets in the page (default true). */
  readonly trackers?: boolean;
}

/** A page of at least `bytes` bytes (UTF-8). */
export function newsPage(bytes: number, options: NewsPageOptions = {}): string {
  const trackers = options.trackers ?? true;
  const parts: string[] = [HEAD_START, trackers ? TRACKER_HEAD : "", BODY_START];
  let size = parts.reduce((n, p) => n + Buffer.byteLength(p), 0) + Buffer.byteLength(BODY_END) + (trackers ? Buffer.byteLength(TRACKER_BODY) : 0);
  let i = 0;
  while (size < bytes) {
    const t = teaser(i++);
    parts.push(t);
    size += Buffer.byteLength(t);
    if (trackers && i === 20) {
      parts.push(TRACKER_BODY);
    }
  }
  if (trackers && i < 20) parts.push(TRACKER_BODY);
  parts.push(BODY_END);
  return parts.join("");
}
