// Fits a streamlit-drawable-canvas to the width it is given (and to `maxHeight`), keeping its
// pixel size: the canvas is scaled by CSS, and fabric.js maps the pointer back to canvas pixels,
// so the drawing the server receives is the same on a phone as on a projector. It also hides
// the toolbar's Edit toggle, which silently turns the pen into a selection tool, and lets strokes
// through the toolbar while it is invisible: it sits over the canvas's top-right corner then.
// The canvas keeps its styles in a shadow root, where no page stylesheet reaches.
export default function ({ data }) {
  const css = `
    .dc-root { width: 100% !important; }
    .dc-scroll { overflow: visible !important; }
    .dc-container {
      width: min(100%, calc(${data.maxHeight} * ${data.width} / ${data.height})) !important;
      height: auto !important;
      aspect-ratio: ${data.width} / ${data.height};
    }
    .dc-container canvas, .dc-container .canvas-container {
      width: 100% !important;
      height: 100% !important;
    }
    .dc-icon-button[title="Edit"], .dc-toolbar-separator, .dc-toolbar-contextual {
      display: none !important;
    }
    .dc-toolbar { pointer-events: none; }
    .dc-root:hover > .dc-toolbar, .dc-toolbar:focus-within, .dc-toolbar[data-pinned=true] {
      pointer-events: auto;
    }`;
  const apply = () => {
    const hosts = document.querySelectorAll(
      `.st-key-${data.key} [data-testid="stBidiComponentIsolated"]`
    );
    for (const host of hosts) {
      const shadow = host.shadowRoot;
      if (!shadow || !shadow.querySelector(".dc-root")) continue;
      let style = shadow.querySelector("style[data-canvas-fit]");
      if (!style) {
        style = document.createElement("style");
        style.dataset.canvasFit = "";
        shadow.appendChild(style);
      }
      if (style.textContent !== css) style.textContent = css;
    }
  };
  apply();
  // The canvas mounts after this component, and again under a new key after each Clear.
  const timer = setInterval(apply, 200);
  return () => clearInterval(timer);
}
