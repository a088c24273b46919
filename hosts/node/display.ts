/**
 * Display for Node: keeps the latest DisplayModel and notifies listeners. The dashboard
 * renders it in the browser as the device would on its screen.
 */
import type { Display, DisplayModel } from '../../src/platform';

export class ModelDisplay implements Display {
  private model: DisplayModel | undefined;
  private readonly listeners = new Set<(model: DisplayModel) => void>();

  get latest(): DisplayModel | undefined {
    return this.model;
  }

  render(model: DisplayModel): void {
    this.model = model;
    for (const listener of this.listeners) listener(model);
  }

  /** Returns a function that removes the listener. */
  onRender(listener: (model: DisplayModel) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
