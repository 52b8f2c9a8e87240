// The empty PDF signature a report PDF is given before it is signed: a signature dictionary
// (SubFilter ETSI.CAdES.detached, a ByteRange to fill in, /Contents of zeros) appended to the
// bytes pdfkit wrote as an incremental update, by @signpdf/placeholder-plain. It runs in the
// PDF worker, right after rendering; src/reports/pdf-sign.ts fills it in on the main thread.
import { plainAddPlaceholder } from "@signpdf/placeholder-plain";
import { SUBFILTER_ETSI_CADES_DETACHED } from "@signpdf/utils";

/** What the signature dictionary says, and how much room /Contents leaves for the CMS. */
export interface PlaceholderOptions {
  /** Bytes reserved for the DER CMS (written as twice as many hex digits). */
  signatureLength: number;
  /** /Name: who signs, as a reader's signature panel shows it (the certificate's CN). */
  name: string;
  /** /Reason, /Location, /ContactInfo: free text a reader shows beside the signature. */
  reason: string;
  location: string;
  contactInfo: string;
  /** /M, the claimed signing time (PAdES puts it here, not in the CMS). */
  signingTime: Date;
}

export function addSignaturePlaceholder(pdf: Uint8Array, opts: PlaceholderOptions): Uint8Array {
  const out = plainAddPlaceholder({
    pdfBuffer: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength),
    reason: opts.reason,
    location: opts.location,
    contactInfo: opts.contactInfo,
    name: opts.name,
    signingTime: opts.signingTime,
    signatureLength: opts.signatureLength,
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    // An invisible signature: the report's pages stay as rendered; readers list it in their
    // signature panel.
    widgetRect: [0, 0, 0, 0],
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
