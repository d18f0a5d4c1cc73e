/**
 * Finds text in a document that speaks to an AI assistant instead of to a reader: "ignore previous instructions",
 * "you are now…", "when asked about X, say…", chat-template markers. Such a passage is how a planted document
 * would try to steer what the consultant tells people; prompts already quote passages as data, and this flags
 * them for the administrator at upload and in the document view. It looks for the *addressing* (an assistant, a
 * model, its instructions or prompt), not for imperative mood, which every leaflet is full of.
 */

const AI = String.raw`(?:ai|a\.i\.|assistant|chat ?bot|bot|language model|llm|model|gpt|chatgpt|claude|copilot|virtual (?:agent|nurse|assistant)|avatar)`;
const EARLIER =
  "(?:all |any |the |your |these |those )*(?:previous|prior|above|earlier|preceding|original|initial|system|other)";
const RULES = "(?:instructions?|prompts?|rules|directions|guidelines|context|messages?|programming|constraints)";
const AUDIENCE = "(?:the |every |any |all )?(?:users?|patients?|customers?|callers?|visitors?|people|humans?)";

const PATTERNS: { why: string; re: RegExp }[] = [
  {
    why: "tells an assistant to ignore its instructions",
    re: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.!?\n]{0,20}?\b${EARLIER}\b[^.!?\n]{0,15}?\b${RULES}\b`,
      "i",
    ),
  },
  {
    why: "addresses an AI assistant directly",
    re: new RegExp(
      String.raw`\b(?:you are (?:now |actually |really )?(?:an? |the )?(?:[\w-]+, (?:an? |the )?)?${AI}|(?:hey|hi|dear|attention|note to(?: the)?)[, ]+(?:the )?${AI}\b|(?:as|if you are) an? (?:ai|language model|llm|assistant)\b|\b${AI}s?\b[^.!?\n]{0,25}\b(?:reading|processing|summari[sz]ing) this\b)`,
      "i",
    ),
  },
  {
    why: "gives an assistant new instructions",
    re: new RegExp(
      String.raw`\b(?:new|updated|real|actual|hidden|secret) ${RULES}\s*[:\-]|\bsystem prompt\b|\b(?:from now on|for the rest of this conversation)\b[^.!?\n]{0,40}\b(?:you|answer|respond|reply|say)\b|\b(?:your|the assistant'?s?) (?:${RULES})\b[^.!?\n]{0,20}\b(?:are|is) (?:now|changed|replaced|updated)\b`,
      "i",
    ),
  },
  {
    why: "scripts what an assistant should answer",
    re: new RegExp(
      String.raw`\b(?:when|whenever|if) (?:you are |you're )?(?:asked|questioned|answering|responding|replying)\b[^.!?\n]{0,60}?\b(?:always|only|must|should|instead)?\s*(?:say|answer|reply|respond|tell (?:them|${AUDIENCE}))\b(?: (?:that|with|only|"))?|\b(?:respond|reply|answer) (?:only |always )?with\b[^.!?\n]{0,30}\b(?:regardless|no matter|whatever)\b|\b(?:do not|don't|never) (?:tell|mention|reveal|disclose)\b[^.!?\n]{0,20}\b(?:to )?${AUDIENCE}\b[^.!?\n]{0,30}\b(?:that you|these instructions|this instruction|this prompt)\b`,
      "i",
    ),
  },
  {
    why: "contains chat-template control markers",
    re: /<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>|\[\/?INST\]|<<\/?SYS>>|^#{2,3} ?(?:instruction|system|response):/im,
  },
  {
    why: "tells an assistant to ignore its instructions (Chinese)",
    re: /(?:忽略|无视|忘记|不要理会|忽视)(?:掉)?(?:你)?(?:之前|以上|前面|上面|先前|原来|原有|所有)(?:的)?(?:所有)?(?:指令|指示|提示|规则|设定|要求)/,
  },
  {
    why: "addresses an AI assistant directly (Chinese)",
    re: /你(?:现在)?是[^。，！？\n]{0,12}(?:人工智能|AI|助手|机器人|语言模型|聊天机器人)|作为一?个?(?:人工智能|AI|语言模型)(?:助手)?，?你|(?:系统提示|系统指令)[:：]?|(?:当|如果)(?:被|有人|用户|患者|客户)问(?:到|起)?[^。！？\n]{0,30}(?:就|都|一律|必须|只)(?:说|回答|告诉)/i,
  },
];

export interface InstructionFinding {
  why: string;
  /** The words that matched, with a little context, for the administrator to find them. */
  excerpt: string;
}

/** Passages of `text` addressed to an AI assistant, at most one finding per kind. */
export function findInstructionsToAssistant(text: string): InstructionFinding[] {
  const found: InstructionFinding[] = [];
  for (const { why, re } of PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const from = Math.max(0, m.index - 30);
    const to = Math.min(text.length, m.index + m[0].length + 30);
    const excerpt = `${from > 0 ? "…" : ""}${text.slice(from, to).replace(/\s+/g, " ").trim()}${to < text.length ? "…" : ""}`;
    found.push({ why: why.replace(/ \(Chinese\)$/, ""), excerpt });
  }
  return found;
}

/** The warnings an upload report and the document view show for a document's text. */
export function instructionWarnings(text: string): string[] {
  return findInstructionsToAssistant(text).map(
    (f) =>
      `text addressed to an AI assistant (${f.why}): "${f.excerpt}"; check this document before people are answered from it`,
  );
}
