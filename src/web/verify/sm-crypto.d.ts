// Types of the one module of sm-crypto the page uses: SM3 (GB/T 32905-2016) of bytes or a string, as hex.
declare module "sm-crypto/src/sm3/index.js" {
  export default function sm3(input: string | ArrayLike<number>): string;
}
