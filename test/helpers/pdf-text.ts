import { execFile } from 'node:child_process';

// pdfjs (inside pdf-parse) loads its worker with a dynamic import that jest's VM refuses; a plain
// node child process extracts the text instead.
const SCRIPT = `
const { PDFParse } = require('pdf-parse');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c)).on('end', async () => {
  const parser = new PDFParse({ data: Buffer.concat(chunks) });
  try {
    const r = await parser.getText();
    process.stdout.write(JSON.stringify({ text: r.text, pages: r.total }));
  } finally {
    await parser.destroy();
  }
});`;

/** The text of a PDF as pdf-parse (v2) extracts it, and its page count. */
export function pdfText(pdf: Buffer): Promise<{ text: string; pages: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', SCRIPT], { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pdf-parse failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as { text: string; pages: number });
    });
    child.stdin!.end(pdf);
  });
}
