import { useId, useState } from 'react'
import { call, errorMessage } from '../../api'
import {
  addInputFrom,
  addOutcomeView,
  EMPTY_FIELDS,
  type DestinationFields,
  type DestinationKindChoice,
} from '../../backup/destination-form'

type CloudKind = Exclude<DestinationKindChoice, 'folder'>

function Field({
  label,
  value,
  onChange,
  type = 'text',
  help,
}: {
  label: string
  value: string
  onChange: (value: string) => void
  type?: 'text' | 'password' | 'number'
  help?: string
}) {
  const helpId = useId()
  // The help is outside the label so the field's accessible name is the label alone.
  return (
    <div className="field-with-help">
      <label className="field">
        <span>{label}</span>
        <input
          type={type}
          value={value}
          spellCheck={false}
          autoComplete={type === 'password' ? 'new-password' : 'off'}
          aria-describedby={help ? helpId : undefined}
          onChange={(event) => onChange(event.target.value)}
        />
      </label>
      {help && (
        <p id={helpId} className="muted small-print">
          {help}
        </p>
      )}
    </div>
  )
}

/**
 * A new S3, WebDAV or SFTP destination with its own schedule. "Test
 * connection and add" tests first and saves only what works; the secret
 * goes through the backup service to the keychain. An SFTP server seen for
 * the first time shows its host key, and is trusted only by the user's
 * click on "Trust this server".
 */
export function CloudDestinationEditor({ kind }: { kind: CloudKind }) {
  const [fields, setFields] = useState<DestinationFields>(EMPTY_FIELDS)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const [hostKey, setHostKey] = useState<{ fingerprint: string; algorithm: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const set = (key: keyof DestinationFields) => (value: string) => {
    setFields((current) => ({ ...current, [key]: value }))
    setMessage(null)
    setHostKey(null)
  }

  const add = async (trustHostKey: string | null) => {
    const built = addInputFrom(kind, fields, trustHostKey)
    if (!built.input) {
      setMessage({ ok: false, text: built.problem })
      return
    }
    setBusy(true)
    setMessage({ ok: true, text: 'Testing the connection…' })
    try {
      const view = addOutcomeView(await call('backup.addDestination', built.input))
      setMessage({ ok: view.ok, text: view.text })
      setHostKey(view.hostKey)
      // Added: the secret is in the keychain now; the form forgets it.
      if (view.ok) setFields(EMPTY_FIELDS)
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="cloud-editor">
      <Field
        label="Destination name"
        value={fields.name}
        onChange={set('name')}
        help="A short name of your own, like offsite or nas."
      />
      {kind === 's3' && (
        <>
          <Field label="Bucket" value={fields.bucket} onChange={set('bucket')} />
          <Field
            label="Folder in the bucket (prefix)"
            value={fields.prefix}
            onChange={set('prefix')}
          />
          <Field
            label="Endpoint"
            value={fields.endpoint}
            onChange={set('endpoint')}
            help="Leave empty for Amazon S3; another provider gives its https:// address."
          />
          <Field label="Region" value={fields.region} onChange={set('region')} />
          <Field label="Access key ID" value={fields.accessKeyId} onChange={set('accessKeyId')} />
          <Field
            label="Secret access key"
            type="password"
            value={fields.secretAccessKey}
            onChange={set('secretAccessKey')}
            help="Kept in this computer’s keychain, never in Cairn’s settings."
          />
        </>
      )}
      {kind === 'webdav' && (
        <>
          <Field
            label="WebDAV address"
            value={fields.url}
            onChange={set('url')}
            help="https://… (a server with its own certificate authority is added with cairn destination add --ca)."
          />
          <Field label="User name" value={fields.user} onChange={set('user')} />
          <Field
            label="Password"
            type="password"
            value={fields.password}
            onChange={set('password')}
            help="Kept in this computer’s keychain, never in Cairn’s settings."
          />
        </>
      )}
      {kind === 'sftp' && (
        <>
          <Field
            label="Server and folder"
            value={fields.address}
            onChange={set('address')}
            help="user@host:port/folder, like me@nas.local:22/backups"
          />
          <Field
            label="Key file"
            value={fields.identityFile}
            onChange={set('identityFile')}
            help="The full path of your SSH key file, or leave empty and give a password."
          />
          <Field
            label={fields.identityFile.trim() ? 'Key file passphrase' : 'Password'}
            type="password"
            value={fields.password}
            onChange={set('password')}
            help="Kept in this computer’s keychain, never in Cairn’s settings."
          />
        </>
      )}
      <Field
        label="Back up here every (hours)"
        type="number"
        value={fields.hours}
        onChange={set('hours')}
      />
      {hostKey ? (
        <div className="host-key" role="group" aria-label="Server host key">
          <p>
            Host key ({hostKey.algorithm}): <code>{hostKey.fingerprint}</code>
          </p>
          <div className="row">
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() => void add(hostKey.fingerprint)}
            >
              Trust this server
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                setHostKey(null)
                setMessage({ ok: false, text: 'Not added: the server was not trusted.' })
              }}
            >
              Do not trust it
            </button>
          </div>
        </div>
      ) : (
        <div className="row">
          <button type="button" className="primary" disabled={busy} onClick={() => void add(null)}>
            Test connection and add
          </button>
        </div>
      )}
      {message && (
        <p className={message.ok ? 'ok-text' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </div>
  )
}
