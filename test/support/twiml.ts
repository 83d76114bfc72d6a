import { XMLParser } from 'fast-xml-parser';

/** A TwiML element as parsed: name, attributes, children (text nodes have name '#text'). */
export interface TwimlNode {
  name: string;
  attributes: Record<string, string>;
  children: TwimlNode[];
  text?: string;
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: false });

function toNodes(raw: unknown[]): TwimlNode[] {
  return raw.map((entry) => {
    const record = entry as Record<string, unknown>;
    if ('#text' in record) return { name: '#text', attributes: {}, children: [], text: String(record['#text']) };
    const name = Object.keys(record).find((k) => k !== ':@')!;
    return { name, attributes: (record[':@'] as Record<string, string>) ?? {}, children: toNodes(record[name] as unknown[]) };
  });
}

/** Parses a TwiML document and returns the children of <Response>; throws if it is not TwiML. */
export function parseTwiml(xml: string): TwimlNode[] {
  const nodes = toNodes(parser.parse(xml, true) as unknown[]).filter((n) => n.name !== '?xml');
  const response = nodes.find((n) => n.name === 'Response');
  if (!response) throw new Error(`not a TwiML document: ${xml.slice(0, 200)}`);
  return response.children.filter((n) => n.name !== '#text' || n.text?.trim());
}

export const textOf = (node: TwimlNode): string =>
  node.name === '#text' ? (node.text ?? '') : node.children.map(textOf).join(node.name === 'say-as' ? '' : '');

/** Every <Say>, in order, including those inside <Gather>. */
export function sayings(verbs: TwimlNode[]): TwimlNode[] {
  return verbs.flatMap((v) => (v.name === 'Say' ? [v] : v.name === 'Gather' ? v.children.filter((c) => c.name === 'Say') : []));
}

export const spokenText = (verbs: TwimlNode[]) => sayings(verbs).map(textOf).join(' ');

/** Digit groups read out with <say-as interpret-as="digits">, joined per <prosody> block. */
export function spokenNumbers(verbs: TwimlNode[]): string[] {
  const numbers: string[] = [];
  const walk = (node: TwimlNode) => {
    if (node.name === 'prosody') {
      numbers.push(node.children.filter((c) => c.name === 'say-as').map(textOf).join(''));
      return;
    }
    node.children.forEach(walk);
  };
  sayings(verbs).forEach(walk);
  return numbers;
}

export const findVerb = (verbs: TwimlNode[], name: string) => verbs.find((v) => v.name === name);
