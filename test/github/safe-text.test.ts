import { describe, expect, it } from "@jest/globals";
import { escapeForHtmlBlock, escapeMarkdown, fenceCodeBlock, sanitizeText } from "../../src/github/checks/safe-text.js";
import { splitFences } from "../support/github-check-fixtures.js";

describe("sanitizeText", () => {
  it.each([
    ["ANSI colours", "\u001b[31mFAIL\u001b[0m test", "FAIL test"],
    ["OSC hyperlinks", "\u001b]8;;http://x\u0007link\u001b]8;;\u0007", "link"],
    ["CRLF and CR", "a\r\nb\rc", "a\nb\nc"],
    ["control characters but tab and newline", "a\u0000b\u0007c\td\ne", "abc\td\ne"],
    ["lone surrogates", "x\ud800y", "x\ufffdy"],
    ["pairs intact", "😀", "😀"],
  ])("handles %s", (_name, input, output) => {
    expect(sanitizeText(input)).toBe(output);
  });
});

describe("escapeMarkdown", () => {
  it.each([
    ["emphasis and code", "*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"],
    ["links and images", "![x](http://e.vil)", "\\!\\[x\\]\\(http\\:\\/\\/e\\.vil\\)"],
    ["HTML", "<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;\\/script&gt;"],
    ["table pipes", "a|b", "a\\|b"],
    ["mentions and references", "@octocat #12", "\\@octocat \\#12"],
    ["line breaks", "one\n\n# two", "one \\# two"],
    ["entities", "&amp;", "&amp;amp\\;"],
  ])("neutralises %s", (_name, input, output) => {
    expect(escapeMarkdown(input)).toBe(output);
  });
});

describe("escapeForHtmlBlock", () => {
  it("escapes markup, quotes and mentions, on one line", () => {
    expect(escapeForHtmlBlock(`</summary><img src=x onerror="a('b')">\n\n@team \`\`\``)).toBe("&#60;/summary&#62;&#60;img src=x onerror=&#34;a(&#39;b&#39;)&#34;&#62; &#64;team &#96;&#96;&#96;");
  });
});

describe("fenceCodeBlock", () => {
  it.each([
    ["plain text", "line 1\nline 2", "```"],
    ["a triple-backtick fence", "before\n```\n# heading\n```\nafter", "````"],
    ["a long backtick run", "x ``````` y", "````````"],
  ])("cannot be closed by %s", (_name, content, fence) => {
    const block = fenceCodeBlock(content);
    expect(block.startsWith(`${fence}text\n`)).toBe(true);
    expect(block.endsWith(`\n${fence}\n`)).toBe(true);
    expect(splitFences(`intro\n${block}outro`)).toEqual({ outside: "intro\noutro", blocks: [content] });
  });
});
