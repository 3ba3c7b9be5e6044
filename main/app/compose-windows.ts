import type { BrowserWindow } from 'electron'

/**
 * One compose window per draft: asking again for a draft whose window is
 * open brings that window forward instead of opening a second composer on
 * the same draft (two editors saving over each other would lose words).
 * The window is forgotten when it closes; the draft itself stays (saved as
 * the user typed, the last edit flushed by the page before it unloads).
 */
export class ComposeWindows {
  private readonly open = new Map<number, BrowserWindow>()

  constructor(
    private readonly create: (draftId: number) => BrowserWindow,
    /** Serve the contract to a new window (main/ipc/electron-ipc.ts addWindow). */
    private readonly serve: (window: BrowserWindow) => void,
  ) {}

  show(draftId: number): void {
    const existing = this.open.get(draftId)
    if (existing && !existing.isDestroyed()) {
      if (existing.isMinimized()) existing.restore()
      existing.focus()
      return
    }
    const window = this.create(draftId)
    this.open.set(draftId, window)
    this.serve(window)
    window.on('closed', () => {
      if (this.open.get(draftId) === window) this.open.delete(draftId)
    })
  }

  /** How many compose windows are open (tests, and the main window's close). */
  get count(): number {
    return this.open.size
  }
}
