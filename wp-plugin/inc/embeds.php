<?php
/**
 * Posts imported from a feed embed nothing unless that feed allows it.
 *
 * When WordPress shows a post, a URL alone on its line or in its own paragraph becomes an embed: the
 * site asks the URL's host (oEmbed discovery) or a provider for HTML, or shows a media player. In an
 * imported post the feed chose those URLs, so unless the feed's "Embeds" setting is on they stay links
 * and the site requests none of them, also when the editor previews the post. The site's own posts are
 * not touched. (Shortcodes, [embed] included, are made inert when the post is imported: Posts\inert_shortcodes().)
 *
 * @package automationtools-ai
 */

namespace ATAI\Embeds;

use ATAI\Feeds;
use ATAI\Posts;

/**
 * The feed option this file reads.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'embeds' => array(
			'group'   => 'post',
			'type'    => 'boolean',
			// Off: a URL a feed wrote stays a link and the site never requests it.
			'default' => false,
			'label'   => __( 'Embeds', 'automationtools-ai' ),
			'box'     => __( 'Turn links alone on their line into embedded videos, posts and previews', 'automationtools-ai' ),
			'help'    => __( 'Off (recommended): links stay links. On: to build an embed, your site fetches the linked address, so the feed decides which addresses your site contacts. Your own posts always keep their embeds.', 'automationtools-ai' ),
		),
	);
}

/**
 * Whether WordPress may embed URLs of this post: any post not imported, or one whose feed allows it.
 *
 * @since 0.1.0
 *
 * @param \WP_Post|null $post The post WordPress is working on.
 */
function allowed( $post ): bool {
	if ( ! $post instanceof \WP_Post ) {
		return true;
	}
	$feed_id = (int) get_post_meta( $post->ID, Posts\META_FEED_ID, true );
	if ( $feed_id <= 0 ) {
		return true;
	}
	// Asked for every post a page shows: each feed is read once a request. A deleted feed's posts stay,
	// and keep the safe default.
	static $allowed = array();
	if ( ! isset( $allowed[ $feed_id ] ) ) {
		$feed                = Feeds\get( $feed_id );
		$allowed[ $feed_id ] = null !== $feed && true === $feed->options['embeds'];
	}
	return $allowed[ $feed_id ];
}

/**
 * the_content, before WordPress's auto-embeds (priority 8): in a post that may not embed, a URL alone on
 * its line or in its own paragraph becomes a link, which WP_Embed::autoembed() passes over.
 *
 * @since 0.1.0
 *
 * @param mixed $content Post content.
 * @return mixed
 */
function links_instead_of_embeds( $content ) {
	if ( ! is_string( $content ) || ! preg_match( '#(^|\s|>)https?://#i', $content ) || allowed( get_post() ) ) {
		return $content;
	}
	// The lines and paragraphs WP_Embed::autoembed() looks at, found the same way.
	$content = wp_replace_in_html_tags( $content, array( "\n" => '<!-- wp-line-break -->' ) );
	$content = preg_replace_callback( '|^(\s*)(https?://[^\s<>"]+)(\s*)$|im', __NAMESPACE__ . '\\as_link', $content );
	$content = preg_replace_callback( '|(<p(?: [^>]*)?>\s*)(https?://[^\s<>"]+)(\s*<\/p>)|i', __NAMESPACE__ . '\\as_link', $content );
	return str_replace( '<!-- wp-line-break -->', "\n", $content );
}

/**
 * A matched lone URL, as a link between what surrounded it.
 *
 * @since 0.1.0
 *
 * @param string[] $match Whitespace or opening tag, the URL, whitespace or closing tag.
 */
function as_link( array $match ): string {
	return $match[1] . '<a href="' . esc_url( $match[2] ) . '">' . esc_html( $match[2] ) . '</a>' . $match[3];
}

/**
 * pre_oembed_result, after core's own-site embeds: no oEmbed request for a post that may not embed,
 * whoever asks (the editor's preview of the post, a theme).
 *
 * @since 0.1.0
 *
 * @param mixed $result The embed HTML found so far, null for none.
 * @return mixed False (no embed) or $result.
 */
function refuse_oembed( $result ) {
	return null === $result && ! allowed( get_post() ) ? false : $result;
}
