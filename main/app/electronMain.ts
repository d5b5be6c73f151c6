// The Electron main process, kept thin: security policy (security.ts), the app:// protocol, one
// window with remembered state, the IPC bridge, and the services (main/services) that do the
// work. The inference engine runs in a utilityProcess, so a native crash in llama.cpp never takes
// the window down. Only this folder imports electron (house style rule 1).
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, protocol, safeStorage, screen, session, shell, utilityProcess, type WebContents } from 'electron';
import { AppError, toErrorData } from '../contract/errors.ts';
import { utilityProcessLauncher } from './utilityProcessLauncher.ts';
import { AppServices } from '../services/appServices.ts';
import { mimeTypeOf, resolveAppPath } from './appProtocol.ts';
import { startIpcBridge, type IpcBridge } from './ipcBridge.ts';
import { APP_SCHEME, APP_START_URL } from './ipcChannels.ts';
import { SECURITY_HEADERS } from '../platform/securityPolicy.ts';
import { isAllowedExternalUrl, isAppUrl, secureWebPreferences } from './security.ts';
import { MIN_HEIGHT, MIN_WIDTH, loadWindowState, saveWindowState } from './windowState.ts';
import { electronPdfRenderer } from './printTranscriptPdf.ts';
import { runSmokeTest, smokeTestModel } from './smokeTest.ts';

const PRELOAD_PATH = join(import.meta.dirname, 'preload.cjs');
/** `vite build renderer` output; inside the package it sits at the same place under the app path. */
const rendererRoot = (): string => join(app.getAppPath(), 'renderer', 'dist');

// Must happen before `ready`: app:// behaves like https (standard, secure, fetch allowed; CORS
// enabled because Vite's module scripts carry `crossorigin`).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
app.enableSandbox();

// The data dir can be moved for tests and portable setups, the same variable `npm run serve` reads.
if (process.env.CHAMELEON_DATA_DIR) app.setPath('userData', process.env.CHAMELEON_DATA_DIR);

let services: AppServices | null = null;
let bridge: IpcBridge | null = null;
let mainWindow: BrowserWindow | null = null;
let shuttingDown = false;

function log(message: string): void {
  process.stderr.write(`[chameleon] ${message}\n`);
}

async function serveAppRequest(request: Request): Promise<Response> {
  const file = resolveAppPath(request.url, rendererRoot());
  if (!file) return new Response('Not found', { status: 404, headers: SECURITY_HEADERS });
  try {
    const body = await readFile(file);
    return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': mimeTypeOf(file) } });
  } catch {
    return new Response('Not found', { status: 404, headers: SECURITY_HEADERS });
  }
}

/** Navigation, new windows, webviews and permissions: denied; http(s) links go to the browser. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url) && url.split('#')[0] === contents.getURL().split('#')[0]) return;
    event.preventDefault();
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

async function pickFile(title: string, filters: { name: string; extensions: string[] }[]): Promise<string | null> {
  const options = { title, properties: ['openFile' as const], filters: [...filters, { name: 'All files', extensions: ['*'] }] };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

const pickModelFile = (): Promise<string | null> => pickFile('Open a Chameleon model', [{ name: 'GGUF model', extensions: ['gguf'] }]);
const pickHeadFile = (): Promise<string | null> =>
  pickFile("Choose Anole's image head (lm_head.weight)", [{ name: 'Weights', extensions: ['safetensors', 'pth'] }]);
async function pickCheckpointFolder(): Promise<string | null> {
  const options = { title: 'Choose a Hugging Face Chameleon checkpoint folder', properties: ['openDirectory' as const] };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
const pickWeightsFile = (): Promise<string | null> =>
  pickFile('Choose the VQ-GAN image tokenizer weights', [{ name: 'VQ-GAN weights', extensions: ['ckpt', 'safetensors', 'json'] }]);

async function createWindow(): Promise<BrowserWindow> {
  const userData = app.getPath('userData');
  const state = await loadWindowState(
    userData,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const win = new BrowserWindow({
    ...(state.x === undefined || state.y === undefined ? {} : { x: state.x, y: state.y }),
    width: state.width,
    height: state.height,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    show: false,
    title: 'Chameleon Desktop',
    icon: join(app.getAppPath(), 'resources', 'icons', 'icon-512.png'),
    backgroundColor: '#1f2124',
    webPreferences: secureWebPreferences(PRELOAD_PATH),
  });
  bridge?.addWindow(win.webContents);
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  win.on('close', () => {
    const bounds = win.getNormalBounds();
    void saveWindowState(userData, { ...bounds, maximized: win.isMaximized() }).catch((err: unknown) => log(`could not save the window state: ${toErrorData(err).message}`));
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  await win.loadURL(APP_START_URL);
  return win;
}

const pickImportFile = (): Promise<string | null> => pickFile('Import chats', [{ name: 'Chat transcripts (Chameleon Desktop, ChatGPT)', extensions: ['json'] }]);
async function pickExportPath(defaultName: string): Promise<string | null> {
  const options = { title: 'Export chats', defaultPath: defaultName };
  const result = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
  return result.canceled ? null : (result.filePath ?? null);
}
// PDF export prints the exported HTML in a hidden window with JavaScript off.
const pdf = electronPdfRenderer(() => {
  const win = new BrowserWindow({ show: false, webPreferences: { javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true } });
  return { contents: win.webContents, close: () => (win.isDestroyed() ? undefined : win.destroy()) };
});

async function start(): Promise<void> {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, serveAppRequest);

  services = await startServices(false).catch(async (err: unknown) => {
    // A damaged history: say which file, offer to keep it aside and go on from the newest backup.
    if (!(err instanceof AppError && err.code === 'store.corrupt')) throw err;
    const { response } = await dialog.showMessageBox({
      type: 'error',
      title: 'The chat history is damaged',
      message: err.message,
      buttons: ['Recover and start', 'Quit'],
      defaultId: 0,
      cancelId: 1,
    });
    if (response !== 0) throw err;
    return startServices(true);
  });
  bridge = startIpcBridge(ipcMain, services.handlers, (what, url) => log(`refused an IPC ${what} from ${url ?? 'a destroyed frame'}`));
  mainWindow = await createWindow();
}

function startServices(recoverHistory: boolean): Promise<AppServices> {
  return AppServices.start({
    recoverHistory,
    dataDir: app.getPath('userData'),
    launcher: utilityProcessLauncher(utilityProcess),
    info: { name: app.getName(), version: app.getVersion(), mode: 'electron', platform: process.platform },
    // The Hub token is sealed with the OS keychain where Electron offers it (else a 0600 file).
    ...(safeStorage.isEncryptionAvailable() ? { tokenSealer: { seal: (t: string) => safeStorage.encryptString(t), open: (b: Buffer) => safeStorage.decryptString(b) } } : {}),
    pickModelFile,
    pickWeightsFile,
    pickHeadFile,
    pickCheckpointFolder,
    openFolder: async (path: string) => {
      const failure = await shell.openPath(path);
      if (failure) throw new Error(failure);
    },
    pickExportPath,
    pickImportFile,
    pdf,
    loadModelAtStart: true,
  });
}

async function shutDown(): Promise<void> {
  bridge?.dispose();
  bridge = null;
  await services?.dispose();
  services = null;
}

/** The release workflow's `--smoke-test=<model.gguf>`: no window, one answer, the exit code says. */
function smokeTest(modelPath: string): void {
  // a throw-away profile: never the user's data, never the running app's single-instance lock
  app.setPath('userData', mkdtempSync(join(tmpdir(), 'chameleon-smoke-profile-')));
  void app.whenReady().then(async () => {
    const info = { name: app.getName(), version: app.getVersion(), mode: 'electron' as const, platform: process.platform };
    const result = await runSmokeTest({ modelPath, launcher: utilityProcessLauncher(utilityProcess), info, log });
    if (!result.ok) log(`smoke: FAILED [${result.error?.code}] ${result.error?.message}`);
    app.exit(result.ok ? 0 : 1);
  });
}

function runApp(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (!mainWindow && services) void createWindow().then((w) => (mainWindow = w));
  });
  app.on('will-quit', (event) => {
    if (shuttingDown) return;
    // Stop answers (their text is kept), close the engine host and the history, then quit.
    event.preventDefault();
    shuttingDown = true;
    void shutDown()
      .catch((err: unknown) => log(`shutdown failed: ${toErrorData(err).message}`))
      .finally(() => app.quit());
  });
  // A failed start (the data folder held by `npm run serve`, an unreadable settings file …) says
  // why in a dialog and exits non-zero instead of leaving a window-less process behind.
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      dialog.showErrorBox('Chameleon Desktop could not start', toErrorData(err).message);
      app.exit(1);
    });
}

function main(): void {
  let smokeModel: string | undefined;
  try {
    smokeModel = smokeTestModel(process.argv);
  } catch (err) {
    log(toErrorData(err).message);
    app.exit(2);
    return;
  }
  if (smokeModel !== undefined) smokeTest(smokeModel);
  else runApp();
}

main();
