// The "SelfExtend" output channel: timings, chosen G/W, skipped files and errors, timestamped.
import * as vscode from 'vscode';

export class OutputLog implements vscode.Disposable {
  readonly channel: vscode.OutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('SelfExtend');
  }

  line(text: string): void {
    const t = new Date().toISOString().slice(11, 23);
    for (const l of text.split('\n')) this.channel.appendLine(`[${t}] ${l}`);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
