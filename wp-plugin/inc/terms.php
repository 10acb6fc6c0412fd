<?php
/**
 * A feed's categories and tags: the source's terms mapped to the site's, and the AI's tags.
 *
 * A feed's term map says which site category or tag each source category becomes ("Gardening =>
 * category:Garden", "Events => tag:events"). Source categories without a line are left out, or taken as
 * tags or categories of the same name, as the feed says. Missing site terms are created, or not. A post
 * whose terms give it no category gets the feed's category. The AI's tag suggestions may be limited to
 * tags the site already has. Terms are looked up once per request per name.
 *
 * @package automationtools-ai
 */

namespace ATAI\Terms;

use ATAI\Feed;

/** A term map line: source term, then "category:" or "tag:" and the site term. */
const LINE_PATTERN = '/^(.+?)\s*=>\s*(category|tag)\s*:\s*(.+)$/u';

/** Most lines in a feed's term map. */
const MAX_LINES = 200;

/** The object cache group of what an import looked up: this request only, never a persistent cache. */
const CACHE_GROUP = 'atai_import';

/**
 * The feed options of terms.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'term_map'       => array(
			'group'     => 'post',
			'type'      => 'list',
			'default'   => array(),
			'max_items' => MAX_LINES,
			'label'     => __( 'Categories from the feed', 'automationtools-ai' ),
			'help'      => __( 'Which of your categories or tags each category of the feed becomes. Over the REST API, one line each: "Source term => category:Your category" or "Source term => tag:your tag".', 'automationtools-ai' ),
			'check'     => __NAMESPACE__ . '\\check_map',
			'render'    => __NAMESPACE__ . '\\render_map',
			'from_form' => __NAMESPACE__ . '\\map_from_form',
		),
		'unmapped_terms' => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'ignore',
			'choices' => array(
				'ignore'   => __( 'Leave them out', 'automationtools-ai' ),
				'tag'      => __( 'Add them as tags', 'automationtools-ai' ),
				'category' => __( 'Add them as categories', 'automationtools-ai' ),
			),
			'label'   => __( 'Other feed categories', 'automationtools-ai' ),
			'help'    => __( 'What happens to the feed\'s categories that have no line above.', 'automationtools-ai' ),
		),
		'create_terms'   => array(
			'group'   => 'post',
			'type'    => 'boolean',
			'default' => true,
			'label'   => __( 'Missing terms', 'automationtools-ai' ),
			'box'     => __( 'Create categories and tags the site does not have yet', 'automationtools-ai' ),
			'help'    => __( 'Off: a term the site does not have is left out. The feed\'s own category (above) is used when a post ends up with none.', 'automationtools-ai' ),
		),
		'ai_tags'        => array(
			'group'   => 'ai',
			'type'    => 'enum',
			'default' => 'any',
			'choices' => array(
				'any'      => __( 'Any tag the model suggests', 'automationtools-ai' ),
				'existing' => __( 'Only tags the site already has', 'automationtools-ai' ),
				'none'     => __( 'None', 'automationtools-ai' ),
			),
			'label'   => __( 'AI tags', 'automationtools-ai' ),
			'help'    => __( 'Tags the model suggests for a rewritten post.', 'automationtools-ai' ),
		),
	);
}

/**
 * Why a term map is refused ('' when it is fine).
 *
 * @since 0.2.0
 *
 * @param string[] $lines Clean lines.
 */
function check_map( array $lines ): string {
	foreach ( $lines as $line ) {
		if ( ! preg_match( LINE_PATTERN, $line ) ) {
			/* translators: %s: the line. */
			return sprintf( __( '"%s" is not of the form "Source term => category:Your category" or "Source term => tag:your tag".', 'automationtools-ai' ), $line );
		}
	}
	return '';
}

/**
 * The map as source term (lower case) => list of [taxonomy, site term name].
 *
 * @since 0.2.0
 *
 * @param string[] $lines The option's lines.
 * @return array<string, array<int, array{0: string, 1: string}>>
 */
function parse_map( array $lines ): array {
	$map = array();
	foreach ( $lines as $line ) {
		if ( preg_match( LINE_PATTERN, $line, $match ) ) {
			$map[ mb_strtolower( trim( $match[1] ) ) ][] = array( 'tag' === $match[2] ? 'post_tag' : 'category', trim( $match[3] ) );
		}
	}
	return $map;
}

/**
 * The terms of a post from a draft: category IDs (for post_category) and tag term_taxonomy_ids.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed.
 * @param string[]             $tags  The draft's tags (the AI's), as clean names.
 * @return array{categories: int[], tags: int[]}
 */
function for_draft( array $draft, Feed $feed, array $tags ): array {
	$options    = $feed->options;
	$create     = (bool) $options['create_terms'];
	$map        = parse_map( $options['term_map'] );
	$categories = array();
	$tag_ids    = array();
	foreach ( (array) $draft['categories'] as $source ) {
		$source = trim( str_replace( ',', ' ', \ATAI\Posts\plain_text( $source ) ) );
		if ( '' === $source ) {
			continue;
		}
		$targets = $map[ mb_strtolower( $source ) ] ?? array();
		if ( ! $targets && 'ignore' !== $options['unmapped_terms'] ) {
			$targets = array( array( 'tag' === $options['unmapped_terms'] ? 'post_tag' : 'category', $source ) );
		}
		foreach ( $targets as list( $taxonomy, $name ) ) {
			$term = term( $name, $taxonomy, $create );
			if ( null === $term ) {
				continue;
			}
			if ( 'category' === $taxonomy ) {
				$categories[] = $term[0];
			} else {
				$tag_ids[] = $term[1];
			}
		}
	}
	if ( 'none' !== $options['ai_tags'] ) {
		foreach ( $tags as $name ) {
			$term = term( $name, 'post_tag', 'any' === $options['ai_tags'] );
			if ( null !== $term ) {
				$tag_ids[] = $term[1];
			}
		}
	}
	if ( ! $categories ) {
		$categories[] = $feed->category > 0 ? $feed->category : (int) get_option( 'default_category', 1 );
	}
	return array(
		'categories' => array_values( array_unique( $categories ) ),
		'tags'       => array_values( array_unique( $tag_ids ) ),
	);
}

/**
 * A term by name: [term_id, term_taxonomy_id], created when missing and allowed; null when not there.
 *
 * Looked up once per request per name (a batch of posts asks for the same few terms again and again).
 *
 * @since 0.2.0
 */
function term( string $name, string $taxonomy, bool $create ): ?array {
	wp_cache_add_non_persistent_groups( CACHE_GROUP );
	$key  = 'term:' . $taxonomy . ':' . md5( mb_strtolower( $name ) );
	$term = wp_cache_get( $key, CACHE_GROUP, false, $found );
	if ( ! $found || ( null === $term && $create ) ) {
		$exists = term_exists( $name, $taxonomy );
		if ( ! $exists && $create ) {
			$exists = wp_insert_term( $name, $taxonomy );
		}
		$term = is_array( $exists ) ? array( (int) $exists['term_id'], (int) $exists['term_taxonomy_id'] ) : null;
		wp_cache_set( $key, $term, CACHE_GROUP );
	}
	return $term;
}

/**
 * The term map's form control: a table of rows (source term, kind, site term) and room for three more.
 *
 * @since 0.2.0
 *
 * @param string $name      Option name.
 * @param mixed  $value     The lines (or, after a refused save, what was typed).
 * @param string $described The aria attributes of a field with an error ('' without one).
 */
function render_map( string $name, $value, string $described ): string {
	$lines = is_array( $value ) ? $value : preg_split( '/\R/u', (string) $value );
	$rows  = array();
	foreach ( $lines as $line ) {
		if ( preg_match( LINE_PATTERN, (string) $line, $match ) ) {
			$rows[] = array( trim( $match[1] ), $match[2], trim( $match[3] ) );
		} elseif ( '' !== trim( (string) $line ) ) {
			$rows[] = array( trim( (string) $line ), 'category', '' );
		}
	}
	$rows   = array_merge( $rows, array_fill( 0, 3, array( '', 'category', '' ) ) );
	$html   = '<table class="atai-term-map" id="atai-' . esc_attr( $name ) . '"' . $described . '><thead><tr>';
	$html  .= '<th scope="col">' . esc_html__( 'Feed category', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Becomes', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Your term', 'automationtools-ai' ) . '</th></tr></thead><tbody>';
	$kinds  = array(
		'category' => __( 'the category', 'automationtools-ai' ),
		'tag'      => __( 'the tag', 'automationtools-ai' ),
	);
	foreach ( $rows as $index => list( $source, $kind, $target ) ) {
		$html .= '<tr><td><input type="text" class="regular-text" name="' . esc_attr( $name ) . '_source[' . $index . ']" value="' . esc_attr( $source ) . '" aria-label="' . esc_attr__( 'Feed category', 'automationtools-ai' ) . '" /></td><td><select name="' . esc_attr( $name ) . '_kind[' . $index . ']" aria-label="' . esc_attr__( 'Category or tag', 'automationtools-ai' ) . '">';
		foreach ( $kinds as $choice => $label ) {
			$html .= '<option value="' . esc_attr( $choice ) . '"' . selected( $kind, $choice, false ) . '>' . esc_html( $label ) . '</option>';
		}
		$html .= '</select></td><td><input type="text" class="regular-text" name="' . esc_attr( $name ) . '_target[' . $index . ']" value="' . esc_attr( $target ) . '" aria-label="' . esc_attr__( 'Your term', 'automationtools-ai' ) . '" /></td></tr>';
	}
	return $html . '</tbody></table>';
}

/**
 * The term map's lines from the form's rows (a row without both terms is left out).
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $post Unslashed form data.
 * @return string[]
 */
function map_from_form( array $post ): array {
	$lines   = array();
	$sources = is_array( $post['term_map_source'] ?? null ) ? $post['term_map_source'] : array();
	foreach ( $sources as $index => $source ) {
		$target = $post['term_map_target'][ $index ] ?? '';
		$kind   = 'tag' === ( $post['term_map_kind'][ $index ] ?? '' ) ? 'tag' : 'category';
		if ( is_scalar( $source ) && is_scalar( $target ) && '' !== trim( (string) $source ) && '' !== trim( (string) $target ) ) {
			$lines[] = trim( (string) $source ) . ' => ' . $kind . ':' . trim( (string) $target );
		}
	}
	return $lines;
}
