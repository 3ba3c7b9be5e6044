import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { setBridge } from './api'
import { composeDraftIdOf } from '../common/compose-page'
import { App } from './App'
import { ComposeWindow } from './components/compose/ComposeWindow'
import { ProfileEpoch } from './components/backup/ProfileEpoch'
import { connectWebSocketBridge } from './bridge/websocket'
import './styles.css'

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root') as HTMLElement)
  // A compose window's page (?compose=<draftId>) shows that draft's composer only.
  const draftId = composeDraftIdOf(window.location.search)
  try {
    // In the app the preload script has set window.cairn; the browser build connects to its host.
    setBridge(window.cairn ?? (await connectWebSocketBridge()))
  } catch (error) {
    root.render(<p className="fatal">{error instanceof Error ? error.message : String(error)}</p>)
    return
  }
  root.render(
    <StrictMode>
      <ProfileEpoch>
        {draftId === null ? <App /> : <ComposeWindow draftId={draftId} />}
      </ProfileEpoch>
    </StrictMode>,
  )
}

void boot()
