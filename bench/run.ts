// `npm run bench`: each section measures side by side in one run and prints ratios, since the
// machine is shared and noisy. `npm run bench -- NAME…` runs only the named sections.
import { run as decision } from "./decision.js";
import { run as httpDemo } from "./http-demo.js";
import { run as logging } from "./logging.js";
import { run as region } from "./region.js";
import { run as responseHeaders } from "./response-headers.js";
import { run as rewrite } from "./rewrite.js";
import { run as httpRewrite } from "./http-rewrite.js";
import { run as startup } from "./startup.js";

const sections: Record<string, () => Promise<void>> = {
  "http-demo": httpDemo,
  region,
  "response-headers": responseHeaders,
  logging,
  decision,
  rewrite,
  "http-rewrite": httpRewrite,
  startup,
};

const wanted = process.argv.slice(2);
for (const [name, section] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n## ${name}`);
  await section();
}
