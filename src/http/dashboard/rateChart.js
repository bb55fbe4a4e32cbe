// Events per second from the head offset, sampled once a second and drawn as a sparkline on a canvas.
import { RateSamples } from './rateSamples.js';

const SAMPLES = 120;

/** A rate as shown: one decimal below 10/s. */
function perSecond(rate) {
  return rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString('en-US');
}

/** A live sparkline of events per second over the last two minutes. */
export class RateChart {
  constructor(canvas, valueLabel, maxLabel) {
    this.canvas = canvas;
    this.valueLabel = valueLabel;
    this.maxLabel = maxLabel;
    this.rates = new RateSamples(SAMPLES);
  }

  /** A head offset as read at `at` (ms, `performance.now()`: when its answer arrived). */
  observe(head, at) {
    this.rates.observe(head, at);
  }

  /** One sample a second: the rate since the last reading used; the label keeps the last rate while none came. */
  sample() {
    const rate = this.rates.tick();
    if (rate !== null) this.valueLabel.textContent = perSecond(rate);
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const samples = this.rates.values;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, width, height);
    // Hint: the scale never goes below 1/s, but the label says what was measured ("max 1/s" over nothing misled).
    const max = Math.max(1, ...samples);
    const measured = Math.max(0, ...samples);
    this.maxLabel.textContent =
      samples.length === 0
        ? 'measuring…'
        : measured === 0
          ? `no events over ${samples.length} s`
          : `max ${perSecond(measured)}/s over ${samples.length} s`;
    if (samples.length < 2) return;
    // Hint: the line grows from the left until two minutes are shown, then scrolls.
    const step = width / (Math.max(10, samples.length) - 1);
    const y = (value) => height - 2 - (value / max) * (height - 4);
    ctx.beginPath();
    samples.forEach((value, i) => {
      if (i === 0) ctx.moveTo(0, y(value));
      else ctx.lineTo(i * step, y(value));
    });
    ctx.strokeStyle = '#2f6fde';
    ctx.lineWidth = 1.5 * ratio;
    ctx.stroke();
    ctx.lineTo((samples.length - 1) * step, height);
    ctx.lineTo(0, height);
    ctx.closePath();
    ctx.fillStyle = 'rgba(47, 111, 222, 0.12)';
    ctx.fill();
  }
}
