import qrcode from 'qrcode-terminal';

/** A QR code of `text` drawn with block characters, for `cairn mfa enroll` to print. */
export function terminalQr(text: string): Promise<string> {
  return new Promise((resolve) => qrcode.generate(text, { small: true }, resolve));
}
