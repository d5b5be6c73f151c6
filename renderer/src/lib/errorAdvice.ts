// Errors reach the UI as {code, message, details}; the banner branches on the code to say what
// happened in plain words and what to do next (house style rule 4). The raw message stays
// available under "details" for bug reports.
import type { ErrorCode, ErrorData } from '../../../main/contract/errors.ts';

export type SuggestedAction = 'openSettings' | 'chooseModel' | 'retry' | 'reload' | 'dismiss';

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

function byCode(code: ErrorCode): ErrorAdvice {
  switch (code) {
    case 'model.notFound':
      return { title: 'Model file not found', hint: 'The file was moved or deleted. Pick the GGUF file again.', ...CHOOSE };
    case 'model.corrupt':
      return { title: 'The model file is damaged', hint: 'It may be an incomplete download. Download it again and reopen it.', ...CHOOSE };
    case 'model.notChameleon':
      return { title: 'Not a Chameleon model', hint: 'This app needs a Chameleon GGUF, e.g. the Q4_K_M of nopperl/chameleon-7b-GGUF.', ...CHOOSE };
    case 'model.noImageVocabulary':
      return { title: 'This model has no image tokens', hint: 'Text chat works; image features need a full Chameleon GGUF.', ...DISMISS };
    case 'model.loadFailed':
      return { title: 'The model could not be loaded', hint: 'Try fewer GPU layers, a smaller context, or the CPU backend.', ...SETTINGS };
    case 'model.loadCancelled':
      return { title: 'Loading was cancelled', hint: 'Load the model again when you are ready.', ...SETTINGS };
    case 'model.notLoaded':
    case 'api.noModel':
      return { title: 'No model loaded', hint: 'Open a Chameleon GGUF file in Settings to start chatting.', ...SETTINGS };
    case 'engine.crashed':
      return { title: 'The inference engine stopped unexpectedly', hint: 'The answer so far was kept. It restarts on the next message; if it keeps crashing, try fewer GPU layers or the CPU backend.', ...RETRY };
    case 'engine.busy':
      return { title: 'Still answering', hint: 'Wait for the current answer or stop it first.', ...DISMISS };
    case 'engine.aborted':
      return { title: 'Stopped', hint: 'The answer was stopped before it finished.', ...DISMISS };
    case 'engine.contextOverflow':
      return { title: 'The chat no longer fits the context', hint: 'Start a new chat, or raise the context size in Settings.', ...SETTINGS };
    case 'engine.gpuUnavailable':
      return { title: 'The selected GPU backend is unavailable', hint: 'Choose "auto" or "cpu" under GPU in Settings.', ...SETTINGS };
    case 'api.unauthorized':
    case 'api.forbiddenOrigin':
      return { title: 'Not connected to the app', hint: 'Open the address that `npm run serve` printed, including its key.', ...RELOAD };
    case 'store.tooNew':
      return { title: 'History was written by a newer version', hint: 'Update Chameleon Desktop to open it.', ...DISMISS };
    case 'store.notFound':
    case 'api.notFound':
      return { title: 'Not found', hint: 'It may have been deleted in another window.', ...RELOAD };
    case 'engine.gpuCrashed':
      return { title: 'The GPU backend crashed on this machine', hint: 'It is not retried on its own. Choose "auto" or "cpu" under GPU in Settings, or update the GPU driver.', ...SETTINGS };
    case 'image.corrupt':
      return { title: 'The image could not be read', hint: 'The file looks damaged. Try another copy, or save it again as PNG or JPEG.', ...DISMISS };
    case 'image.unsupported':
      return { title: 'Unsupported image type', hint: 'Attach a PNG, JPEG, WebP, GIF or AVIF image.', ...DISMISS };
    case 'image.empty':
      return { title: 'The image file is empty', hint: 'Pick the file again; it may not have finished downloading.', ...DISMISS };
    case 'image.tooLarge':
      return { title: 'The image is too large', hint: 'Images up to 64 MB and a sensible pixel count are accepted; scale it down first.', ...DISMISS };
    case 'image.inputUnavailable':
    case 'image.tokenizerMissing':
      return { title: 'Images need the VQ-GAN weights', hint: 'Choose the VQ-GAN weights file in Settings → Images. Text chat keeps working without them.', ...SETTINGS };
    case 'image.remoteUrl':
      return { title: 'Web images are not fetched', hint: 'The app works offline: attach the image file itself instead of a link.', ...DISMISS };
    case 'vqgan.weightsNotFound':
      return { title: 'VQ-GAN weights not found', hint: 'The file was moved or deleted. Choose it again in Settings → Images.', ...SETTINGS };
    case 'vqgan.weightsInvalid':
    case 'vqgan.missingTensor':
    case 'vqgan.badTensorShape':
    case 'vqgan.configInvalid':
      return { title: 'Not usable VQ-GAN weights', hint: "This file is not Chameleon's VQ-GAN tokenizer in .safetensors form (or it is incomplete). Choose the right file in Settings → Images.", ...SETTINGS };
    case 'vqgan.noDecoder':
      return { title: 'These VQ-GAN weights have no decoder', hint: 'Attaching images works; turning codes back into pictures needs the full weights.', ...DISMISS };
    case 'vqgan.cancelled':
      return { title: 'Tokenizing was cancelled', hint: 'Attach the image again when you want it in the message.', ...DISMISS };
    case 'vqgan.backendUnavailable':
      return { title: 'The image tokenizer could not start', hint: 'Its compute backend is unavailable here; try the CPU backend in Settings.', ...SETTINGS };
    case 'vqgan.internal':
    case 'vqgan.badCodes':
      return { title: 'The image tokenizer failed', hint: 'Try the image again; if it keeps failing, restart the app.', ...RETRY };
    case 'export.cancelled':
      return { title: 'Export cancelled', hint: 'Nothing was saved.', ...DISMISS };
    case 'export.writeFailed':
      return { title: 'The export could not be saved', hint: 'The folder may be read-only or the disk full. Choose another place.', ...DISMISS };
    case 'export.pdfUnavailable':
      return { title: 'PDF export is unavailable here', hint: 'It needs Chromium on this machine. Export as HTML and print it to PDF from a browser instead.', ...DISMISS };
    case 'import.invalid':
      return { title: 'Not a valid transcript', hint: 'The file is damaged or not a Chameleon transcript / ChatGPT conversations.json. Nothing was imported.', ...DISMISS };
    case 'import.tooLarge':
      return { title: 'The file is too large to import', hint: 'Split it, or import it in the desktop app, which reads the file directly. Nothing was imported.', ...DISMISS };
    case 'import.unsupportedVersion':
      return { title: 'Transcript from a newer version', hint: 'Update Chameleon Desktop to import it. Nothing was imported.', ...DISMISS };
    case 'import.unknownFormat':
      return { title: 'Unknown file format', hint: 'Import a Chameleon transcript (.json) or ChatGPT\'s conversations.json. Nothing was imported.', ...DISMISS };
    default:
      return { title: 'Something went wrong', hint: 'Try again; if it keeps happening, restart the app.', ...RETRY };
  }
}

export function errorAdvice(error: ErrorData): ErrorAdvice {
  return byCode(error.code);
}
