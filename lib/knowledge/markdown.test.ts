import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isProse } from "./front-matter";
import { parseDocument } from "./loaders";
import { parseMarkdown } from "./markdown";

const MB = 1024 * 1024;
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("front matter", () => {
  const jekyllFaq = `---
layout: faq
title: Parking and visiting FAQ
permalink: /help/parking-faq/
date: 2024-03-01
nav_order: 3
sidebar: help
tags: [parking, visiting]
redirect_from:
  - /parking
published: true
description: Answers about parking, permits and visiting times at the hospital.
faqs:
  - question: Where can visitors park?
    answer: Visitors park in **car park B**, next to the [main entrance](/map).
  - question: How much is a parking permit?
    answer: |
      A weekly permit costs 12 pounds.

      - Blue badge holders park free.
      - Permits are sold at the main desk.
    id: permit-cost
---
{% include faq.html faqs=page.faqs %}
`;

  it("indexes a Jekyll FAQ kept in front matter, one section per question, layout keys dropped", async () => {
    const doc = await parseDocument("parking-faq.md", utf8(jekyllFaq), MB);
    expect(doc.title).toBe("Parking and visiting FAQ");
    expect(doc.sections).toEqual([
      { heading: "", text: "Answers about parking, permits and visiting times at the hospital.", page: null },
      {
        heading: "Where can visitors park?",
        text: "Visitors park in car park B, next to the main entrance.",
        page: null,
      },
      {
        heading: "How much is a parking permit?",
        text: "A weekly permit costs 12 pounds.\n\n- Blue badge holders park free.\n- Permits are sold at the main desk.",
        page: null,
      },
    ]);
    const all = JSON.stringify(doc);
    for (const debris of ["faq.html", "/help/parking-faq/", "2024-03-01", "permit-cost", "help", "include"]) {
      expect(all).not.toContain(`"${debris}`);
      expect(all).not.toContain(` ${debris} `);
    }
  });

  it("reads title/content pairs under any key, groups and a one-question page", () => {
    const md = `---
title: Billing help
categories: [billing]
sections:
  - title: Refunds
    intro: Refunds go back to the card that paid.
    items:
      - title: How long does a refund take?
        content: Five to ten working days.
      - name: refund-policy
        url: https://example.com/refunds
---
`;
    const { title, sections } = parseMarkdown(md, "fallback");
    expect(title).toBe("Billing help");
    expect(sections).toEqual([
      { heading: "Refunds", text: "Refunds go back to the card that paid.", page: null },
      { heading: "How long does a refund take?", text: "Five to ten working days.", page: null },
    ]);

    const single = parseMarkdown(
      "---\nquestion: Can I bring flowers?\nanswer: Not to intensive care wards.\nlayout: qa\n---\n",
      "flowers",
    );
    expect(single).toEqual({
      title: "flowers",
      sections: [{ heading: "Can I bring flowers?", text: "Not to intensive care wards.", page: null }],
    });
  });

  it("puts front-matter text ahead of the body and ignores malformed YAML", () => {
    const md =
      "---\ntitle: Fever\ndescription: When a temperature needs a doctor.\n---\n\n## Adults\n\nAbove 38 C is a fever.\n";
    expect(parseMarkdown(md, "x")).toEqual({
      title: "Fever",
      sections: [
        { heading: "", text: "When a temperature needs a doctor.", page: null },
        { heading: "Adults", text: "Above 38 C is a fever.", page: null },
      ],
    });
    const broken = "---\ntitle: [unclosed\n  : : :\n---\n\n# Body title\n\nThe body is still read.\n";
    expect(parseMarkdown(broken, "x")).toEqual({
      title: "Body title",
      sections: [{ heading: "Body title", text: "The body is still read.", page: null }],
    });
  });

  it.each([
    ["Visitors park in car park B.", true],
    ["两个汉字", true],
    ["faq", false],
    ["parking-and-visiting", false],
    ["https://example.com/a b", false],
    ["/help/parking/", false],
    ["2024-03-01", false],
    ["2024-03-01 10:00:00 +0100", false],
    ["images/permit card.png", false],
    ["help@example.com", false],
    ["#ff0000", false],
  ])("judges %j as prose: %s", (value, prose) => {
    expect(isProse(value)).toBe(prose);
  });
});

describe("Markdown body", () => {
  it("keeps lists as '- item' lines, tables as rows, short code and inline code; drops long listings", () => {
    const md = [
      "# Sign-in help",
      "",
      "Run `npm login` and follow the\nprompts on screen.",
      "",
      "1. Open **Settings**.",
      "2. Choose *Security*:",
      "   - Turn on 2FA",
      "   - Save the recovery codes",
      "",
      "| Plan | Monthly | Annual |",
      "| ---- | ------- | ------ |",
      "| Team | $10 | $8 |",
      "| Free | $0 | |",
      "",
      "```",
      "npm ERR! code E401",
      "```",
      "",
      "```js",
      "const a = 1;",
      "const b = 2;",
      "const c = 3;",
      "console.log(a + b + c);",
      "```",
      "",
      "![diagram](diagram.png)",
      "",
      "[login]: https://docs.example.com/login",
    ].join("\n");
    const { title, sections } = parseMarkdown(md, "x");
    expect(title).toBe("Sign-in help");
    expect(sections).toEqual([
      {
        heading: "Sign-in help",
        page: null,
        text: [
          "Run npm login and follow the prompts on screen.",
          "",
          "- Open Settings.\n- Choose Security:\n- Turn on 2FA\n- Save the recovery codes",
          "",
          "Plan: Team; Monthly: $10; Annual: $8\nPlan: Free; Monthly: $0",
          "",
          "npm ERR! code E401",
        ].join("\n"),
      },
    ]);
  });

  it("strips HTML, Liquid and MDX, and reads a DataTable component's rows", () => {
    const md = [
      "---",
      "title: Roles",
      "---",
      "",
      "import shared from '~/shared.js'",
      "export const meta = {",
      "  section: 'orgs',",
      "}",
      "",
      "<Note>",
      "",
      "**Note:** Only owners can delete an organization.",
      "",
      "</Note>",
      "",
      "<><strong>Heads up:</strong> to delete one, {shared['contact-support'].text}.</>",
      "",
      '<Screenshot src="/img/roles.png" alt="Screenshot of roles" />',
      "",
      "{% if site.beta %}Beta users see more roles.{% endif %} Welcome to {{ site.name }}!",
      "",
      "<DataTable",
      '  headers={["Action", "Owner", "Member"]}',
      '  align={["l", "c", "c"]}',
      "  rows={[",
      '    ["Manage billing", "X", ""],',
      '    [<Link key="p" href="/publish"><InlineCode>npm publish</InlineCode></Link>, "X", "X"]',
      "  ]}",
      "/>",
      "",
      '<div class="tip"><p>Teams can be <em>nested</em>.</p><ul><li>Owners</li><li>Admins</li></ul></div>',
      "",
      "{% comment %}internal note{% endcomment %}",
    ].join("\n");
    const { title, sections } = parseMarkdown(md, "x");
    expect(title).toBe("Roles");
    expect(sections).toHaveLength(1);
    expect(sections[0]!.text).toBe(
      [
        "Note: Only owners can delete an organization.",
        "",
        "Heads up: to delete one, .",
        "",
        "Beta users see more roles. Welcome to !",
        "",
        "Action: Manage billing; Owner: X\nAction: npm publish; Owner: X; Member: X",
        "",
        "Teams can be nested.\n- Owners\n- Admins",
      ].join("\n"),
    );
  });

  it("joins wrapped Chinese lines without spaces", () => {
    const { sections } = parseMarkdown("## 退款\n\n在购买后三十天内\n可以申请退款。\n", "x");
    expect(sections).toEqual([{ heading: "退款", text: "在购买后三十天内可以申请退款。", page: null }]);
  });

  // The npm help-centre articles (MDX saved as .md): every article still parses, with no markup left over.
  const devset = path.resolve("../shared/devsets/support/docs");
  it.skipIf(!existsSync(devset))("reads the npm help-centre devset without MDX debris", () => {
    for (const file of readdirSync(devset).filter((f) => f.endsWith(".md"))) {
      const { title, sections } = parseMarkdown(readFileSync(path.join(devset, file), "utf8"), file);
      expect(title, file).not.toBe(file);
      expect(sections.length, file).toBeGreaterThan(0);
      const text = sections.map((s) => `${s.heading}\n${s.text}`).join("\n");
      for (const debris of [/^import /m, /\{shared/, /<\/?[A-Z]\w*/, /\]\(/, /^\[[\w-]+\]: /m, /redirect_from/, /<>/]) {
        expect(text, `${file}: ${debris}`).not.toMatch(debris);
      }
    }
  });
});
