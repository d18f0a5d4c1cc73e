/** Knowledge gaps shown per page in the admin list (the server renders the first page, the list fetches the rest). */
export const GAPS_PAGE = 50;
