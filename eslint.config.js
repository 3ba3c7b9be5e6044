import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

const electronOnlyInApp = {
  name: 'electron',
  message:
    'Only main/app and preload may import electron: everything else must run under plain Node.',
}

/** The backup engine's modules: they never touch a destination's storage themselves. */
const BACKUP_ENGINE = [
  'main/backup/run-backup.ts',
  'main/backup/verify.ts',
  'main/backup/restore/plan.ts',
  'main/backup/restore/unpack.ts',
  'main/backup/pipeline/**/*.ts',
  'main/backup/schedule/**/*.ts',
  'main/backup/key/choose-key.ts',
  'main/backup/destination/retention.ts',
]
const BACKUP_COMMANDS = [
  'main/cli/backup-command.ts',
  'main/cli/list-command.ts',
  'main/cli/verify-command.ts',
  'main/cli/restore-command.ts',
  'main/cli/schedule-command.ts',
]
const NO_FS = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises'].map((name) => ({
  name,
  message:
    'The backup engine reaches a destination only through the Destination / BackupSource interfaces (main/backup/destination): no file-system calls here.',
}))
const DESTINATION_STORES = [
  {
    group: [
      '**/destination/folder/*',
      '**/destination/s3/*',
      '**/destination/webdav/*',
      '**/destination/sftp/*',
    ],
    message:
      'Open destinations through main/backup/destination/resolve.ts (or open-destination.ts), not a concrete store.',
  },
]

export default tseslint.config(
  { ignores: ['out/**', 'out-test/**', 'dist/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { paths: [electronOnlyInApp] }],
    },
  },
  {
    // Layering: services and stores below main/ never reach up into the
    // transports (ipc) or the Electron shell (app).
    files: ['main/**/*.ts'],
    ignores: ['main/app/**', 'main/ipc/**', 'main/cli.ts', 'main/cli/**', 'main/services.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInApp],
          patterns: [
            {
              group: ['**/ipc/*', '**/app/*', '**/cli/*'],
              message: 'Lower layers must not import ipc, app or cli.',
            },
          ],
        },
      ],
    },
  },
  { files: ['main/app/**/*.ts', 'preload/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    // The backup engine reaches a destination only through the Destination
    // and BackupSource interfaces: no file-system call and no concrete store
    // in backup, retention, verify, list, restore's reading side, the
    // scheduler or their commands (the profile's side lives in snapshot/,
    // restore/live-profile.ts and restore/restore.ts).
    files: BACKUP_ENGINE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInApp, ...NO_FS],
          patterns: [
            ...DESTINATION_STORES,
            {
              group: ['**/ipc/*', '**/app/*', '**/cli/*'],
              message: 'Lower layers must not import ipc, app or cli.',
            },
          ],
        },
      ],
    },
  },
  {
    files: BACKUP_COMMANDS,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [electronOnlyInApp, ...NO_FS], patterns: [...DESTINATION_STORES] },
      ],
    },
  },
  {
    // One runner starts every worker thread, so a thread that dies is always
    // noticed, its work failed and replaced, and closing never hangs.
    files: ['main/**/*.ts', 'bench/**/*.ts', 'vault/**/*.ts'],
    ignores: ['main/workers/worker-thread.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Worker']",
          message:
            'Start worker threads through main/workers (WorkerThread, startJob, WorkerPool): it handles a thread that dies.',
        },
      ],
    },
  },
  {
    // The vault server is its own program: it shares only common/ (the wire
    // format) and the crypto primitives with the app, never its services.
    files: ['vault/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInApp],
          patterns: [
            {
              group: ['**/main/**', '!**/main/backup/age/primitives.js'],
              message: 'The vault imports only common/ from the app.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js', 'test/**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The renderer talks to the main side only through the contract: it may
    // import types from main/, never code, and nothing of Node.
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': 'off',
      // The renderer's type check sees Node's types (through the contract's
      // types), so Node's globals are refused here instead.
      'no-restricted-globals': [
        'error',
        ...[
          'process',
          'Buffer',
          'global',
          'require',
          'module',
          '__dirname',
          '__filename',
          'setImmediate',
          'clearImmediate',
        ].map((name) => ({ name, message: 'The renderer has no Node.' })),
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInApp],
          patterns: [
            { group: ['node:*'], message: 'The renderer has no Node.' },
            {
              group: ['**/main/**'],
              allowTypeImports: true,
              message: 'Import only types from main/.',
            },
          ],
        },
      ],
    },
  },
)
