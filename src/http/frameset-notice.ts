/**
 * The script that shows a notice in a frameset document, where no markup after `<frameset>` is
 * rendered: a popover (the top layer renders above the frames) added to the root element once the
 * document is parsed. ASCII only (the markup as a JSON string with every non-ASCII character and
 * '<' escaped), so it is the same bytes in a page of any ASCII-compatible charset.
 */
export function framesetNoticeScript(html: string): string {
  const markup = JSON.stringify(html).replace(/[<\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return (
    `(function(h){function f(){var d=document.createElement("div");d.setAttribute("popover","manual");` +
    `d.style.cssText="position:fixed;inset:0 0 auto 0;width:auto;max-width:none;margin:0;padding:0;border:0;background:transparent;overflow:visible";` +
    `d.innerHTML=h;document.documentElement.appendChild(d);try{d.showPopover()}catch(e){}}` +
    `document.readyState==="loading"?document.addEventListener("DOMContentLoaded",f):f()})(${markup})`
  );
}
