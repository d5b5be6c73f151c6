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
    default:
      return { title: 'Something went wrong', hint: 'Try again; if it keeps happening, restart the app.', ...RETRY };
  }
}

export function errorAdvice(error: ErrorData): ErrorAdvice {
  return byCode(error.code);
}
