// Errors reach the UI as {code, message, details}; the banner branches on the code to say what
// happened in plain words and what to do next (house style rule 4). The raw message stays
// available under "details" for bug reports. A table keyed by every ErrorCode: a new code
// without advice fails the type check.
import type { ErrorCode, ErrorData } from '../../../main/contract/errors.ts';

/** 'none': nothing in the app can help (the banner offers no button but ✕). */
export type SuggestedAction = 'openSettings' | 'chooseModel' | 'retry' | 'reload' | 'dismiss' | 'none' | 'useLocalEngine';

export interface ErrorAdvice {
  title: string;
  hint: string;
  action: SuggestedAction;
  actionLabel: string;
}

const CHOOSE: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'chooseModel', actionLabel: 'Choose model…' };
const SETTINGS: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'openSettings', actionLabel: 'Open settings' };
const RETRY: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'retry', actionLabel: 'Try again' };
const RELOAD: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'reload', actionLabel: 'Reload' };
const DISMISS: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'dismiss', actionLabel: 'Dismiss' };
const LOCAL: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'useLocalEngine', actionLabel: 'Use this computer' };
const NONE: Pick<ErrorAdvice, 'action' | 'actionLabel'> = { action: 'none', actionLabel: '' };

/** Every code has its words; `Record<ErrorCode, …>` makes a missing one a compile error. */
const ADVICE: Record<ErrorCode, ErrorAdvice> = {
  'model.notFound': { title: 'Model file not found', hint: 'No file at this path. Check it for typos (a leading ~ is your home folder), or choose the file again.', ...CHOOSE },
  'model.corrupt': { title: 'The model file is damaged', hint: 'It may be an incomplete download. Download it again and reopen it.', ...CHOOSE },
  'model.notChameleon': { title: 'Not a Chameleon model', hint: 'This app needs a Chameleon GGUF, e.g. the Q4_K_M of nopperl/chameleon-7b-GGUF.', ...CHOOSE },
  'model.noImageVocabulary': { title: 'This model has no image tokens', hint: 'Text chat works; image features need a full Chameleon GGUF.', ...DISMISS },
  'model.loadFailed': { title: 'The model could not be loaded', hint: 'Try fewer GPU layers, a smaller context, or the CPU backend.', ...SETTINGS },
  'model.loadCancelled': { title: 'Loading was cancelled', hint: 'Load the model again when you are ready.', ...SETTINGS },
  'model.notLoaded': { title: 'No model loaded', hint: 'Open a Chameleon GGUF file in Settings to start chatting.', ...SETTINGS },
  'engine.crashed': { title: 'The inference engine stopped unexpectedly', hint: 'The answer so far was kept. It restarts on the next message; if it keeps crashing, try fewer GPU layers or the CPU backend.', ...RETRY },
  'engine.busy': { title: 'Still answering', hint: 'Wait for the current answer or stop it first.', ...DISMISS },
  'engine.aborted': { title: 'Stopped', hint: 'The answer was stopped before it finished.', ...DISMISS },
  'engine.contextOverflow': { title: 'The chat no longer fits the context', hint: 'Start a new chat, or raise the context size in Settings.', ...SETTINGS },
  'engine.gpuUnavailable': { title: 'The selected GPU backend is unavailable', hint: 'Choose "auto" or "cpu" under GPU in Settings.', ...SETTINGS },
  'engine.internal': { title: 'The engine failed on this answer', hint: 'Try again; if it keeps failing, load the model again in Settings.', ...RETRY },
  'image.corrupt': { title: 'The image could not be read', hint: 'The file looks damaged. Try another copy, or save it again as PNG or JPEG.', ...DISMISS },
  'image.unsupported': { title: 'Unsupported image type', hint: 'Attach a PNG, JPEG, WebP, GIF or AVIF image.', ...DISMISS },
  'image.empty': { title: 'The image file is empty', hint: 'Pick the file again; it may not have finished downloading.', ...DISMISS },
  'image.tooLarge': { title: 'The image is too large', hint: 'Images up to 64 MB and a sensible pixel count are accepted; scale it down first.', ...DISMISS },
  'image.inputUnavailable': { title: 'Images need the VQ-GAN weights', hint: 'Choose the VQ-GAN weights file in Settings → Images. Text chat keeps working without them.', ...SETTINGS },
  'vqgan.weightsNotFound': { title: 'VQ-GAN weights not found', hint: 'No file at this path. Check it for typos, or choose the weights again in Settings → Images.', ...SETTINGS },
  'vqgan.weightsInvalid': { title: 'Not usable VQ-GAN weights', hint: "This file is not Chameleon's VQ-GAN tokenizer in .safetensors form (or it is incomplete). Choose the right file in Settings → Images.", ...SETTINGS },
  'vqgan.missingTensor': { title: 'Not usable VQ-GAN weights', hint: "This file is not Chameleon's VQ-GAN tokenizer in .safetensors form (or it is incomplete). Choose the right file in Settings → Images.", ...SETTINGS },
  'vqgan.badTensorShape': { title: 'Not usable VQ-GAN weights', hint: "This file is not Chameleon's VQ-GAN tokenizer in .safetensors form (or it is incomplete). Choose the right file in Settings → Images.", ...SETTINGS },
  'vqgan.noDecoder': { title: 'These VQ-GAN weights have no decoder', hint: 'Attaching images works; turning codes back into pictures needs the full weights.', ...DISMISS },
  'vqgan.configInvalid': { title: 'Not usable VQ-GAN weights', hint: "This file is not Chameleon's VQ-GAN tokenizer in .safetensors form (or it is incomplete). Choose the right file in Settings → Images.", ...SETTINGS },
  'vqgan.cancelled': { title: 'Tokenizing was cancelled', hint: 'Attach the image again when you want it in the message.', ...DISMISS },
  'vqgan.backendUnavailable': { title: 'The image tokenizer could not start', hint: 'Its compute backend is unavailable here; try the CPU backend in Settings.', ...SETTINGS },
  'vqgan.internal': { title: 'The image tokenizer failed', hint: 'Try the image again; if it keeps failing, restart the app.', ...RETRY },
  'vqgan.badCodes': { title: 'The image tokenizer failed', hint: 'Try the image again; if it keeps failing, restart the app.', ...RETRY },
  'image.tokenizerMissing': { title: 'Images need the VQ-GAN weights', hint: 'Choose the VQ-GAN weights file in Settings → Images. Text chat keeps working without them.', ...SETTINGS },
  'image.remoteUrl': { title: 'Web images are not fetched', hint: 'The app works offline: attach the image file itself instead of a link.', ...DISMISS },
  'store.notFound': { title: 'Not found', hint: 'It may have been deleted in another window.', ...RELOAD },
  'store.tooNew': { title: 'History was written by a newer version', hint: 'Update Chameleon Desktop to open it.', ...DISMISS },
  'store.conflict': { title: 'The history changed meanwhile', hint: 'Another window changed this chat; reload to see the latest.', ...RELOAD },
  'store.closed': { title: 'The history is closed', hint: 'The app is shutting down or restarting; open it again.', ...RELOAD },
  'store.corrupt': { title: 'The chat history is damaged', hint: 'The message names the file and its backups. Restart with --recover-history (or accept the app\'s prompt): the damaged file is kept aside and the newest healthy backup restored.', ...NONE },
  'store.unwritable': { title: 'The chat history cannot be saved', hint: 'Its folder is read-only, full or not yours. Free some space or fix the permissions, then restart.', ...NONE },
  'api.badRequest': { title: 'The request was refused', hint: 'Part of it was not valid (see Details). Check what you entered and try again.', ...DISMISS },
  'api.unauthorized': { title: 'This page\'s key was refused', hint: 'Open the exact address `npm run serve` printed (it includes the key); reloading will not help.', ...NONE },
  'api.forbiddenOrigin': { title: 'Not connected to the app', hint: 'Open the address that `npm run serve` printed, on this machine.', ...NONE },
  'api.notFound': { title: 'Not found', hint: 'It may have been deleted in another window.', ...RELOAD },
  'api.payloadTooLarge': { title: 'Too large to send', hint: 'Use a smaller file or a shorter message.', ...DISMISS },
  'api.noModel': { title: 'No model loaded', hint: 'Open a Chameleon GGUF file in Settings to start chatting.', ...SETTINGS },
  'api.methodNotAllowed': { title: 'Not allowed here', hint: 'This address does not take that kind of request.', ...DISMISS },
  'api.forbiddenPath': { title: 'That file was not chosen here', hint: 'Choose it with the file dialog, name it in Settings, or put it in the models folder.', ...SETTINGS },
  'models.catalogInvalid': { title: 'The model catalog is damaged', hint: 'The app\'s catalog file could not be read; reinstall the app. Local models still work.', ...NONE },
  'models.notInCatalog': { title: 'Not in the catalog', hint: 'This model is not one the app knows; import the file instead.', ...DISMISS },
  'models.notInstalled': { title: 'Not installed', hint: 'Download or import this model first (Models).', ...DISMISS },
  'models.hubNotFound': { title: 'Not found on Hugging Face', hint: 'The repository or file is gone or renamed. Try another entry of the catalog.', ...DISMISS },
  'models.unauthorized': { title: 'A Hugging Face token is needed', hint: 'This repository is gated: add your token in Models (it is kept in the OS keychain where available).', ...DISMISS },
  'models.gated': { title: 'Access not granted yet', hint: 'Accept the licence on the repository\'s Hugging Face page with the account of your token, then try again.', ...RETRY },
  'models.networkError': { title: 'The download lost its connection', hint: 'What was downloaded is kept; Resume goes on from there.', ...RETRY },
  'models.diskFull': { title: 'Not enough disk space', hint: 'Free some space (the message says how much is needed), then resume.', ...RETRY },
  'models.checksumMismatch': { title: 'The download is corrupt', hint: 'Its SHA-256 did not match the Hub\'s, so the file was deleted. Download it again.', ...RETRY },
  'models.wrongFile': { title: 'Not the file the catalog says', hint: 'The file is not a Chameleon GGUF or VQ-GAN weights as expected; it was not installed.', ...DISMISS },
  'models.alreadyInstalled': { title: 'Already installed', hint: 'This model is in the models list already.', ...DISMISS },
  'models.inUse': { title: 'The model is in use', hint: 'Unload it (or choose other weights) before removing it.', ...DISMISS },
  'models.downloadFailed': { title: 'The download failed', hint: 'What was downloaded is kept; try again.', ...RETRY },
  'models.quantizeUnsupported': { title: 'This quantization type is not supported', hint: 'ggml cannot write it here (some types need an importance matrix). Use a GGUF with another quantization.', ...DISMISS },
  'models.alreadyImageCapable': { title: 'Already image-capable', hint: 'This GGUF already has the image aliases; use it as it is.', ...DISMISS },
  'models.badWeights': { title: 'Not the weights needed', hint: 'Choose the file holding Anole\'s lm_head.weight (its safetensors shard, consolidated.pth, or the head the app downloads).', ...DISMISS },
  'models.cancelled': { title: 'Cancelled', hint: 'Nothing was left behind; start it again when you like.', ...DISMISS },
  'app.dataDirInUse': { title: 'Another Chameleon is using this data folder', hint: 'Close the other app or `npm run serve` first, or start this one with another --data-dir.', ...NONE },
  'settings.invalid': { title: 'A setting is not valid', hint: 'Check the marked fields in Settings.', ...SETTINGS },
  'export.cancelled': { title: 'Export cancelled', hint: 'Nothing was saved.', ...DISMISS },
  'export.writeFailed': { title: 'The export could not be saved', hint: 'The folder may be read-only or the disk full. Choose another place.', ...DISMISS },
  'export.pdfUnavailable': { title: 'PDF export is unavailable here', hint: 'It needs Chromium on this machine. Export as HTML and print it to PDF from a browser instead.', ...DISMISS },
  'import.invalid': { title: 'Not a transcript we can read', hint: 'The file is not JSON, damaged, or not a Chameleon transcript / ChatGPT conversations.json. Nothing was imported.', ...DISMISS },
  'import.tooLarge': { title: 'The file is too large to import', hint: 'Split it, or import it in the desktop app, which reads the file directly. Nothing was imported.', ...DISMISS },
  'import.unsupportedVersion': { title: 'Transcript from a newer version', hint: 'Update Chameleon Desktop to import it. Nothing was imported.', ...DISMISS },
  'import.unknownFormat': { title: 'Unknown file format', hint: 'Import a Chameleon transcript (.json) or ChatGPT\'s conversations.json. Nothing was imported.', ...DISMISS },
  'remote.unreachable': { title: 'The remote engine cannot be reached', hint: 'Check that the server runs and its address in Settings → Engines. Your chats are kept; switch back to this computer to go on.', ...LOCAL },
  'remote.unauthorized': { title: 'The remote engine refused the API key', hint: 'Enter the key the server was started with (--api-key) in Settings → Engines.', ...SETTINGS },
  'remote.timeout': { title: 'The remote engine did not answer in time', hint: 'It may be busy or overloaded. The answer so far was kept; try again or switch back to this computer.', ...LOCAL },
  'remote.disconnected': { title: 'The remote engine went away mid-answer', hint: 'The answer so far was kept. Check the server, or switch back to this computer to go on.', ...LOCAL },
  'remote.notChameleon': { title: 'The remote engine is not serving Chameleon', hint: 'Start the server with a Chameleon GGUF (or model), then add it again.', ...SETTINGS },
  'remote.badResponse': { title: 'The remote engine answered unexpectedly', hint: 'Check the engine kind in Settings → Engines (llama.cpp server or vLLM) and the server version.', ...SETTINGS },
  'remote.notFound': { title: 'No such engine', hint: 'It may have been removed in another window.', ...LOCAL },
  'internal': { title: 'Something went wrong', hint: 'Try again; if it keeps happening, restart the app.', ...RETRY },
  'engine.gpuCrashed': { title: 'The GPU backend crashed on this machine', hint: 'It is not retried on its own. Choose "auto" or "cpu" under GPU in Settings, or update the GPU driver.', ...SETTINGS },
  'model.noImageOutput': { title: 'This setup cannot draw', hint: 'Image output needs an image-capable GGUF (with Anole\'s image head) and VQ-GAN weights with a decoder, both set in Settings.', ...SETTINGS },
};

export function errorAdvice(error: ErrorData): ErrorAdvice {
  // A code from a newer main than this renderer knows still gets words.
  return ADVICE[error.code] ?? ADVICE.internal;
}
