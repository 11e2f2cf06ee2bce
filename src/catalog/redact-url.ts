/**
 * A connection URL fit for messages and logs: the password (in the userinfo or a `password` query
 * parameter) becomes `***`. A URL that does not parse is scrubbed up to its last `@` all the same.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUnparsed(url);
  }
  if (parsed.password) parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (key.toLowerCase() === 'password') parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

function redactUnparsed(url: string): string {
  const scrubbed = url.replace(/([?&]password=)[^&#]*/gi, '$1***');
  const match = /^((?:[^/]*:\/\/)?)(.*)@([^@]*)$/s.exec(scrubbed);
  if (!match) return scrubbed;
  const [, scheme, userinfo = '', rest] = match;
  const colon = userinfo.indexOf(':');
  return colon < 0 ? scrubbed : `${scheme}${userinfo.slice(0, colon)}:***@${rest}`;
}

/** text with the URL and its password (as written and decoded) replaced by their redacted forms. */
export function scrubUrl(text: string, url: string): string {
  let scrubbed = text.split(url).join(redactUrl(url));
  for (const secret of secretsOf(url)) scrubbed = scrubbed.split(secret).join('***');
  return scrubbed;
}

function secretsOf(url: string): string[] {
  const secrets = new Set<string>();
  try {
    const parsed = new URL(url);
    for (const [key, value] of parsed.searchParams) if (key.toLowerCase() === 'password' && value) secrets.add(value);
    if (parsed.password) {
      secrets.add(parsed.password);
      secrets.add(safeDecode(parsed.password));
    }
  } catch {
    const userinfo = /^(?:[^/]*:\/\/)?(.*)@[^@]*$/s.exec(url)?.[1];
    const colon = userinfo?.indexOf(':') ?? -1;
    if (userinfo && colon >= 0 && colon < userinfo.length - 1) secrets.add(userinfo.slice(colon + 1));
  }
  return [...secrets];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
